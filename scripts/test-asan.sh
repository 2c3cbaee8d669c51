#!/usr/bin/env bash
# `npm run test:asan` (TESTING M5): the addon built with AddressSanitizer + UndefinedBehavior-
# Sanitizer into build-asan/addon/ (cmake-js --CDDOWNHILL_SANITIZE=ON: -fsanitize=address,undefined
# -fno-omit-frame-pointer -g -O1), then the engine and native tests against it with the
# sanitizer runtimes preloaded into node and DOWNHILL_ADDON_PATH pointing at that build (no
# fallback to build/Release or prebuilds/); then the standalone core test under ASan + UBSan
# with leak detection (scripts/core-test.sh address). Any report fails the run.
#
# Leaks inside node: LeakSanitizer is off for the node processes (detect_leaks=0). Node does
# not free its own heap at exit, and LSan suppressions match any frame of a stack, so a
# suppression broad enough for node's allocations would hide the addon's as well. Leak
# checking is done where it is exact: the core test (no node) runs with detect_leaks=1, and the
# addon's memory is covered by the RSS tests (test/server/lifecycle.test.ts, bench/soak.mjs).
#
# Extra arguments go to vitest (e.g. a test file). ASAN_TEST_FILES overrides the default set.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CXX=${CXX:-g++}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

echo "=== ASan + UBSan build of the addon (build-asan/addon) ==="
mkdir -p build-asan
npx cmake-js compile --out build-asan/addon --CDDOWNHILL_SANITIZE=ON >build-asan/build.log 2>&1 ||
  { tail -40 build-asan/build.log; echo "test-asan: the sanitizer build failed (log: build-asan/build.log)"; exit 1; }
addon="$root/build-asan/addon/Release/downhill.node"
libasan=$("$CXX" -print-file-name=libasan.so)
libubsan=$("$CXX" -print-file-name=libubsan.so)
ldd "$addon" | grep -q libasan || { echo "test-asan: $addon is not linked with libasan"; exit 1; }
[ -e "$libasan" ] && [ -e "$libubsan" ] || { echo "test-asan: sanitizer runtimes not found ($libasan, $libubsan)"; exit 1; }

echo "=== TypeScript (child-process tests run dist/) ==="
node node_modules/typescript/bin/tsc -p tsconfig.json

# The engine and kernel suites, plus the server tests that drive the binding hardest: workers
# terminated mid-fit and process.exit during fit (job threads, thread-safe functions, env
# teardown), buffers transferred mid-call, and the fuzzer's random arguments. Not the RSS
# tests: ASan's quarantine keeps freed memory resident by design.
read -r -a files <<<"${ASAN_TEST_FILES:-test/engine test/native test/server/workers.test.ts test/server/buffers.test.ts test/server/fuzz.test.ts}"
sanitized() {
  # allow_user_segv_handler: V8 installs its own SIGSEGV handler (WebAssembly guard pages).
  env LD_PRELOAD="$libasan $libubsan" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allow_user_segv_handler=1:abort_on_error=1:print_summary=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
    DOWNHILL_ADDON_PATH="$addon" DOWNHILL_ENGINE=native "$@"
}
# Guard: the library really loads the sanitizer build (not build/Release or a prebuild).
sanitized node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  const { loadAddon } = await import('./dist/engine/binding.js');
  const r = loadAddon();
  if (!r.addon) throw r.error;
  if (!readFileSync('/proc/self/maps', 'utf8').includes(process.env.DOWNHILL_ADDON_PATH)) throw new Error('the sanitizer build is not the addon loaded');
  console.log('loaded ' + process.env.DOWNHILL_ADDON_PATH + ' (' + r.addon.info().isa + ')');"
echo "=== ${files[*]}: native engine under ASan + UBSan ==="
sanitized node node_modules/vitest/vitest.mjs run "${files[@]}" "$@"

echo "=== standalone core test under ASan + UBSan with leak detection ==="
bash scripts/core-test.sh address
echo "test-asan: clean"
