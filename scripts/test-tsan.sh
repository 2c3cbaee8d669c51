#!/usr/bin/env bash
# `npm run test:tsan` (TESTING M5): the standalone core test (native/tests/core_test.cc: GEMMs
# at 1-7 threads with two callers per pool, two Plans trained at once from two threads, the
# binding's job threads and registry; no N-API) built with -fsanitize=thread and run with
# DOWNHILL_THREADS=1, 3 and 4: no ThreadSanitizer report, and the results bitwise equal to
# the single-threaded ones. Build output in build-tsan/.
set -euo pipefail
exec bash "$(dirname "$0")/core-test.sh" thread
