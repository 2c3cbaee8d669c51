#!/usr/bin/env bash
# Packaging check: `npm pack` ships a prebuild; the tarball installed into an empty folder with
# --ignore-scripts and no compiler on PATH loads the native engine; without the prebuild it
# falls back to the pure-TS engine with one line on stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball"
listing="$(tar -tzf "$work/$tarball")"
grep -q "package/prebuilds/$(node -p 'process.platform + "-" + process.arch')/downhill.napi.node" <<<"$listing" || { echo "FAIL: no prebuild in the tarball"; exit 1; }

mkdir -p "$work/app" "$work/bin"
# A PATH with node and npm but no compiler, cmake or make.
for tool in node npm npx sh; do ln -s "$(command -v $tool)" "$work/bin/$tool"; done
cd "$work/app"
echo '{ "name": "app", "version": "1.0.0", "type": "module" }' > package.json
PATH="$work/bin" npm install --ignore-scripts --no-audit --no-fund --silent "$work/$tarball"
cat > probe.mjs <<'JS'
import { engineInfo, sequential, dense, adam } from 'downhill';
const info = engineInfo();
const m = sequential({ inputSize: 4, seed: 1, layers: [dense(3, { activation: 'softmax' })] });
m.compile({ loss: 'categoricalCrossentropy', optimizer: adam() });
await m.fit(new Float32Array(40).fill(0.5), new Int32Array(10).fill(1), { epochs: 1, batchSize: 5 });
console.log(info.name);
JS
got="$(PATH="$work/bin" node probe.mjs 2>"$work/err.txt")"
[ "$got" = native ] || { echo "FAIL: installed package used '$got', expected native"; cat "$work/err.txt"; exit 1; }
echo "ok: the installed tarball loads the native engine from its prebuild"

rm -rf node_modules/downhill/prebuilds
got="$(PATH="$work/bin" node probe.mjs 2>"$work/err.txt")"
[ "$got" = js ] || { echo "FAIL: without the prebuild it used '$got', expected js"; exit 1; }
[ "$(wc -l < "$work/err.txt")" -eq 1 ] && grep -q 'using the pure-TypeScript engine' "$work/err.txt" || { echo "FAIL: expected one line on stderr"; cat "$work/err.txt"; exit 1; }
echo "ok: without a prebuild it falls back to the pure-TS engine: $(cat "$work/err.txt")"

# Installing with scripts and no compiler must still succeed (and fall back).
rm -rf node_modules package-lock.json
PATH="$work/bin" npm install --no-audit --no-fund --silent "$work/$tarball" 2>"$work/install-err.txt" || { echo "FAIL: install failed without a compiler"; cat "$work/install-err.txt"; exit 1; }
echo "ok: npm install without a compiler succeeds"

# No prebuild and no compiler: the install still succeeds, saying so in one line.
mkdir -p "$work/strip"
tar -xzf "$work/$tarball" -C "$work/strip"
rm -rf "$work/strip/package/prebuilds"
tar -czf "$work/no-prebuild.tgz" -C "$work/strip" package
rm -rf node_modules package-lock.json
PATH="$work/bin" npm install --no-audit --no-fund --foreground-scripts "$work/no-prebuild.tgz" >"$work/install-out.txt" 2>&1 || { echo "FAIL: install without prebuild or compiler failed"; cat "$work/install-out.txt"; exit 1; }
grep -q 'native engine unavailable' "$work/install-out.txt" || { echo "FAIL: the install did not say the pure-TS engine will be used"; cat "$work/install-out.txt"; exit 1; }
echo "ok: without prebuild or compiler the install succeeds: $(grep 'native engine unavailable' "$work/install-out.txt")"
sed "s/^/  | /" "$work/install-out.txt"
