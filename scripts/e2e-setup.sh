#!/usr/bin/env bash
# Installs what the end-to-end suite needs on a clean Debian machine, idempotently and with pinned
# versions: Debian's chromium and ripgrep (+ the toolchain code-server's native modules may need),
# and code-server (the real VS Code workbench, from npm) into a cache directory outside the repo.
# Work already done is skipped, so a warm run takes a second or two.
#
# Env: SYMLORA_E2E_CACHE (default $HOME/.cache/symlora-e2e)
set -euo pipefail

CODE_SERVER_VERSION=4.100.3            # newest whose engines.node accepts Node 20 (VS Code 1.100.3)
RIPGREP_PKG_VERSION=1.15.11            # @vscode/ripgrep pinned by that VS Code
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
CACHE="${SYMLORA_E2E_CACHE:-$HOME/.cache/symlora-e2e}"
PREFIX="$CACHE/code-server"

log() { echo "[e2e-setup] $*"; }

install_debian_packages() {
  local missing=()
  for pkg in chromium ripgrep build-essential python3 libkrb5-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "Debian packages present"; return; fi
  log "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here: give it a
# tarball of Debian's rg in the cache directory it checks first.
seed_ripgrep_cache() {
  local dir="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  [ -s "$dir/$RIPGREP_ASSET" ] && return
  mkdir -p "$dir"
  local stage; stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar -C "$stage" -czf "$dir/$RIPGREP_ASSET" rg
  rm -rf "$stage"
  log "seeded $dir/$RIPGREP_ASSET"
}

installed_code_server_version() {
  node -p "require('$PREFIX/node_modules/code-server/package.json').version" 2>/dev/null || true
}

install_code_server() {
  if [ "$(installed_code_server_version)" = "$CODE_SERVER_VERSION" ] && [ -f "$PREFIX/.complete" ]; then
    log "code-server $CODE_SERVER_VERSION present in $PREFIX"; return
  fi
  seed_ripgrep_cache
  mkdir -p "$PREFIX"
  [ -f "$PREFIX/package.json" ] || echo '{"name":"symlora-e2e-tools","private":true}' > "$PREFIX/package.json"
  log "installing code-server@$CODE_SERVER_VERSION into $PREFIX (about a minute)"
  rm -f "$PREFIX/.complete"
  ( cd "$PREFIX" && npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" )
  "$PREFIX/node_modules/.bin/code-server" --version >/dev/null
  touch "$PREFIX/.complete"
}

install_debian_packages
install_code_server
log "ready: $PREFIX/node_modules/.bin/code-server, /usr/bin/chromium"
