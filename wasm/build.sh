#!/usr/bin/env bash
# Builds the two wasm flavors of lutra's kernels from wasm/src/**/*.c.
#
#   simd128 — Emscripten (Debian's emcc 3.1.6, clang-14): runs in every browser with SIMD128.
#   relaxed — Debian's clang-19 + wasm-ld-19: adds relaxed SIMD. emcc 3.1.6's clang-14
#             emits the pre-standard relaxed opcodes that V8 rejects, so this flavor
#             uses the newer clang directly (see README "Building the wasm").
#
# Both are freestanding: no libc, the only import is env.memory (shared).
# Usage: wasm/build.sh            build into wasm/dist/
#        wasm/build.sh --check    build into a temp dir and fail if wasm/dist/ differs (stale)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/dist"
check=0
if [[ "${1:-}" == "--check" ]]; then check=1; out="$(mktemp -d)"; fi
mkdir -p "$out"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

mapfile -t srcs < <(cd "$here/src" && find . -name '*.c' | sort)
cflags=(-O3 -std=c11 -ffreestanding -fno-builtin-malloc -nostdlib -Wall -Wextra -Werror
        -Wno-unused-parameter -msimd128 -matomics -mbulk-memory -mnontrapping-fptoint
        -msign-ext -mmutable-globals -I"$here/src" -ffile-prefix-map="$here"=. -DNDEBUG)

# --- simd128 flavor: emscripten -------------------------------------------------------
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
objs=()
for s in "${srcs[@]}"; do
  o="$tmp/simd128_$(echo "$s" | tr '/.' '__').o"
  emcc "${cflags[@]}" -c "$here/src/$s" -o "$o"
  objs+=("$o")
done
emcc -O3 -msimd128 -matomics -mbulk-memory --no-entry \
  -sSTANDALONE_WASM -sIMPORTED_MEMORY -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB \
  -sINITIAL_MEMORY=16MB -sTOTAL_STACK=1MB -sERROR_ON_UNDEFINED_SYMBOLS=1 \
  -Wl,--shared-memory -Wl,--export=__stack_pointer -Wl,--export=__heap_base \
  "${objs[@]}" -o "$out/lutra.simd128.wasm"

# --- relaxed flavor: clang-19 ---------------------------------------------------------
objs=()
for s in "${srcs[@]}"; do
  o="$tmp/relaxed_$(echo "$s" | tr '/.' '__').o"
  clang-19 --target=wasm32 "${cflags[@]}" -mrelaxed-simd -DLT_RELAXED=1 -c "$here/src/$s" -o "$o"
  objs+=("$o")
done
wasm-ld-19 --no-entry --import-memory --shared-memory --max-memory=4294967296 \
  --initial-memory=16777216 -z stack-size=1048576 --export=__stack_pointer \
  --export=__heap_base --export-dynamic --gc-sections -O2 \
  "${objs[@]}" -o "$out/lutra.relaxed.wasm"

if [[ $check == 1 ]]; then
  status=0
  for f in lutra.simd128.wasm lutra.relaxed.wasm; do
    if ! cmp -s "$out/$f" "$here/dist/$f"; then
      echo "wasm/dist/$f is stale: run 'npm run build:wasm' and commit the result" >&2; status=1
    fi
  done
  rm -rf "$out"
  [[ $status == 0 ]] && echo "wasm/dist is up to date"
  exit $status
fi
ls -l "$out"/*.wasm
