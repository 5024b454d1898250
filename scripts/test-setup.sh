#!/usr/bin/env bash
# What the whole test suite needs beyond `npm ci`, installed idempotently from Debian and npm only:
# - the end-to-end tools (Chromium for the webview and e2e tests, code-server for a real VS Code),
#   via scripts/e2e-setup.sh;
# - Debian's Fashion-MNIST files, so the fashion-mnist tests and examples read a local copy
#   instead of fetching (those tests skip when it is absent).
# A warm run takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/e2e-setup.sh

if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q 'install ok installed'; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "[test-setup] installing dataset-fashion-mnist"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends dataset-fashion-mnist \
    || echo "[test-setup] dataset-fashion-mnist unavailable: its tests will be skipped"
fi
