#!/usr/bin/env bash
# Cross-compiles every non-binding native source (plan, kernels with the NEON folder,
# runtime) for AArch64 with Debian's g++-aarch64-linux-gnu and links them into one shared
# object with --no-undefined: proves the NEON kernels and the portable code build for arm64
# without a Node for that architecture (N-API code is left out: it needs Node's headers only).
# Installs the cross compiler with apt-get when it is missing and we are root; otherwise skips.
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=${DH_ARM64_CXX:-aarch64-linux-gnu-g++}
if ! command -v "$CXX" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "check-arm64: installing g++-aarch64-linux-gnu"
    (apt-get install -y -q g++-aarch64-linux-gnu >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q g++-aarch64-linux-gnu >/dev/null 2>&1; }) || true
  fi
fi
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "check-arm64: skipped ($CXX not found; apt-get install g++-aarch64-linux-gnu)"
  exit 0
fi
# The portable sources as CMakeLists.txt lists them, minus the N-API binding, plus NEON.
mapfile -t sources < <(
  sed -n '/^set(DH_SOURCES/,/^)/p; /^set(DH_NEON_SOURCES/,/^)/p' CMakeLists.txt |
    grep -E '^\s+native/' | grep -v 'native/binding/' | tr -d ' ')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
objects=()
for src in "${sources[@]}"; do
  obj="$out/$(echo "$src" | tr '/' '_').o"
  "$CXX" -std=c++17 -O2 -fPIC -Wall -Wextra -Werror -ffp-contract=off -DDH_BUILD_NEON -Inative -c "$src" -o "$obj"
  objects+=("$obj")
done
"$CXX" -shared -pthread -Wl,--no-undefined -o "$out/libdownhill-core.so" "${objects[@]}"
echo "check-arm64: ${#sources[@]} sources compiled and linked for aarch64 with $("$CXX" -dumpfullversion)"
