#!/usr/bin/env bash
# Installs what building and testing lutra needs on Debian bookworm, only when missing:
#   emscripten          — builds the SIMD128 wasm flavor (emcc)
#   clang-19, lld-19    — build the relaxed-SIMD flavor (emcc 3.1.6 emits pre-standard relaxed opcodes)
#   chromium            — the browser the Playwright tests drive (never a downloaded browser)
# then the npm dependencies (npm ci). Run as root, or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v emcc >/dev/null 2>&1 || need+=(emscripten)
command -v clang-19 >/dev/null 2>&1 || need+=(clang-19)
command -v wasm-ld-19 >/dev/null 2>&1 || need+=(lld-19)
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
echo "setup: done (emcc $(emcc --version 2>/dev/null | head -1 | grep -o '[0-9]*\.[0-9]*\.[0-9]*' | head -1), clang-19, $(/usr/bin/chromium --version 2>/dev/null))"
