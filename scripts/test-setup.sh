#!/usr/bin/env bash
# What the whole test suite needs beyond `npm ci`, installed idempotently from Debian and npm only:
# - the end-to-end tools (Chromium for the webview and e2e tests, code-server for a real VS Code),
#   via scripts/e2e-setup.sh;
# - Debian's Fashion-MNIST files, so the fashion-mnist tests and examples read a local copy
#   instead of fetching (those tests skip when it is absent);
# - OpenBLAS, which the wasm backend's matmul calls when present (src/core/ops.ts), so CI tests the
#   same kernel path as a typical Linux machine (without it, XNNPACK's path is used and tested).
# A warm run takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/e2e-setup.sh

missing=()
for pkg in dataset-fashion-mnist libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "[test-setup] installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || echo "[test-setup] could not install ${missing[*]}: the tests that need them are skipped or use the fallback path"
fi
