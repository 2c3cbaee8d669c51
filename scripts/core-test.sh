#!/usr/bin/env bash
# Builds the standalone core test (native/tests/core_test.cc: kernels, thread pool, plan, job
# threads; no N-API) with every portable native source CMakeLists.txt lists (the binding left
# out, the x86 ISA folders with their own flags) under a sanitizer, and runs it.
#   scripts/core-test.sh thread   ThreadSanitizer, into build-tsan/; runs it with
#                                 DOWNHILL_THREADS=1, 3 and 4 and checks the plan results are
#                                 bitwise the single-threaded ones (scripts/test-tsan.sh)
#   scripts/core-test.sh address  AddressSanitizer + UBSan with leak detection, into
#                                 build-asan/core/ (scripts/test-asan.sh)
# CXX overrides the compiler (default g++); JOBS the parallel compiles (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  thread) san=(-fsanitize=thread) out=build-tsan ;;
  address) san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined) out=build-asan/core ;;
  *) echo "usage: $0 thread|address" >&2; exit 2 ;;
esac
CXX=${CXX:-g++}
JOBS=${JOBS:-2}
mkdir -p "$out/obj"

# name|extra flags, one line per source.
list() { sed -n "/^set($1/,/^)/p" CMakeLists.txt | grep -E '^\s+native/' | tr -d ' '; }
units=()
while read -r src; do [[ $src == native/binding/* ]] || units+=("$src|"); done < <(list DH_SOURCES)
defs=()
case "$(uname -m)" in
  x86_64 | amd64)
    defs=(-DDH_BUILD_AVX2 -DDH_BUILD_AVX512)
    while read -r src; do units+=("$src|-mavx2 -mfma"); done < <(list DH_AVX2_SOURCES)
    while read -r src; do units+=("$src|-mavx512f -mavx2 -mfma -Wno-maybe-uninitialized"); done < <(list DH_AVX512_SOURCES)
    ;;
  aarch64 | arm64)
    defs=(-DDH_BUILD_NEON)
    while read -r src; do units+=("$src|"); done < <(list DH_NEON_SOURCES)
    ;;
esac
units+=("native/tests/core_test.cc|")

flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -ffp-contract=off -pthread -Inative "${defs[@]}" "${san[@]}")
export CXX out
printf '%s\n' "${units[@]}" | xargs -P "$JOBS" -I{} bash -c '
  src=${1%%|*}; extra=${1#*|}
  exec "$CXX" "${@:2}" $extra -c "$src" -o "$out/obj/$(echo "$src" | tr / _).o"' _ {} "${flags[@]}"
"$CXX" "${flags[@]}" -o "$out/core_test" "$out"/obj/*.o
echo "core-test: built $out/core_test ($mode sanitizer, ${#units[@]} sources, $("$CXX" -dumpfullversion))"

if [ "$mode" = thread ]; then
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
  # Without address-space randomisation: GCC 12's TSan aborts ("unexpected memory mapping")
  # on kernels with more mmap randomisation bits than it knows about.
  norand=()
  if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then norand=(setarch "$(uname -m)" -R); fi
  ref=""
  for threads in 1 3 4; do
    DOWNHILL_THREADS=$threads "${norand[@]}" "$out/core_test" >"$out/run.txt" ||
      { cat "$out/run.txt"; echo "core-test: failed with DOWNHILL_THREADS=$threads" >&2; exit 1; }
    cat "$out/run.txt"
    hashes=$(grep '^plan-hash' "$out/run.txt" || true)
    [ -n "$hashes" ] || { echo "core-test: no plan results with DOWNHILL_THREADS=$threads" >&2; exit 1; }
    if [ -z "$ref" ]; then
      ref=$hashes
    elif [ "$hashes" != "$ref" ]; then
      echo "core-test: plan results with DOWNHILL_THREADS=$threads differ from the single-threaded ones" >&2
      exit 1
    fi
  done
  echo "core-test: ThreadSanitizer clean; plan results bitwise equal for DOWNHILL_THREADS=1, 3, 4"
else
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
  DOWNHILL_THREADS=3 "$out/core_test"
  echo "core-test: AddressSanitizer (with leak detection) and UBSan clean"
fi
