#!/usr/bin/env bash
# Fresh-machine setup for DropLab (Debian 12, Node >= 20), safe to run again:
#   - Debian's Chromium at /usr/bin/chromium (the e2e tests' browser; its SwiftShader gives WebGPU
#     without a GPU). Never `npx playwright install`: it downloads a browser and fails offline.
#   - npm ci, skipped when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js >= 20 is required and was not found" >&2
  exit 1
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian chromium"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null | head -n 1 || true

stamp=node_modules/.droplab-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: node_modules matches package-lock.json"
else
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
