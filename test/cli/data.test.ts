// `downhill train --data` on an IDX folder and on a CSV file, and `--save`.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist, loadModel } from '../../lib/index.js';
import { blobs } from '../helpers/data.js';

const bin = fileURLToPath(new URL('../../bin/downhill.js', import.meta.url));
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'downhill-cli-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function idxFile(dims: number[], bytes: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, bytes]));
}

describe('downhill train --data', () => {
  it('trains on an MNIST-format IDX folder: its t10k files are the test set', async () => {
    const mnist = loadMnist();
    // Interleave digits so both sets hold every class.
    const rows = Array.from({ length: 3000 }, (_, i) => (i * 3331) % mnist.n);
    const pick = (from: number, to: number) => {
      const r = rows.slice(from, to);
      return {
        images: Uint8Array.from(r.flatMap((row) => Array.from(mnist.x.subarray(row * 784, row * 784 + 784), (v) => Math.round(v * 255)))),
        labels: Uint8Array.from(r, (row) => mnist.y[row]),
      };
    };
    const dir = join(root, 'idx');
    mkdirSync(dir);
    const train = pick(0, 2500);
    const test = pick(2500, 3000);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idxFile([2500, 28, 28], train.images));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idxFile([2500], train.labels));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idxFile([500, 28, 28], test.images));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idxFile([500], test.labels));
    const { stdout } = await run(process.execPath, [bin, '--data', dir, '--epochs', '3', '--layers', '64', '--json']);
    const report = JSON.parse(stdout);
    expect(report.test.accuracy).toBeGreaterThan(0.8);
    const table = (await run(process.execPath, [bin, '--data', dir, '--epochs', '1', '--layers', '32'])).stdout;
    expect(table).toMatch(/784-32-10 on idx \(2125 train \/ 375 validation \/ 500 test\)/);
  });

  it('trains on a CSV file with --label, standardising its features, and --save keeps the model', async () => {
    const data = blobs(600, 5, 3, 11);
    const names = ['setosa', 'versicolor', 'virginica'];
    const lines = ['f1,f2,species,f3,f4,f5'];
    for (let r = 0; r < 600; r++) {
      const f = Array.from(data.x.subarray(r * 5, r * 5 + 5), (v, j) => (v * 10 + j * 100).toFixed(4));
      lines.push([f[0], f[1], names[data.y[r]], f[2], f[3], f[4]].join(','));
    }
    const csv = join(root, 'flowers.csv');
    writeFileSync(csv, lines.join('\n') + '\n');
    const saveDir = join(root, 'saved');
    const { stdout } = await run(process.execPath, [bin, '--data', csv, '--label', 'species', '--epochs', '20', '--layers', '16', '--batch-size', '16', '--json', '--save', saveDir]);
    const report = JSON.parse(stdout);
    expect(report.test.accuracy).toBeGreaterThan(0.85);
    const model = await loadModel(saveDir);
    expect(model.inputSize).toBe(5);
    expect(model.outputSize).toBe(3);
    expect(model.preprocess?.kind).toBe('standardize');
  });

  it('a CSV without --label, or a missing source, exits 2 with the reason', async () => {
    const csv = join(root, 'x.csv');
    writeFileSync(csv, 'a,b\n1,2\n');
    for (const [args, message] of [
      [['--data', csv], /--label: a CSV file needs the name of its label column/],
      [['--data', join(root, 'nope')], /--data: expected mnist, an IDX folder or a .csv file, received ".*nope" \(not found\)/],
    ] as const) {
      const err = await run(process.execPath, [bin, ...args]).then(() => undefined, (e) => e);
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(message);
    }
  });

  it('a malformed data file exits 1 naming the file and the problem', async () => {
    const csv = join(root, 'bad.csv');
    writeFileSync(csv, 'a,b,l\n1,2,x\n3,oops,y\n');
    const err = await run(process.execPath, [bin, '--data', csv, '--label', 'l']).then(() => undefined, (e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/bad.csv: row 3, column 'b': expected a finite number, received "oops"/);
  });
});

describe('downhill export', () => {
  it('writes a saved model as ONNX that onnxruntime runs like predict', async () => {
    const dir = join(root, 'for-export');
    await run(process.execPath, [bin, '--epochs', '1', '--layers', '32', '--save', dir]);
    const file = join(root, 'model.onnx');
    const { stdout } = await run(process.execPath, [bin, 'export', dir, '--onnx', file]);
    expect(stdout).toMatch(/wrote .*model.onnx \(\d+ bytes, input \[N, 784\], output \[N, 10\]\)/);
    const ort = (await import('node:module')).createRequire(import.meta.url)('onnxruntime-node');
    const session = await ort.InferenceSession.create(file);
    const model = await loadModel(dir);
    const x = loadMnist().x.subarray(0, 20 * 784);
    const out = (await session.run({ input: new ort.Tensor('float32', x, [20, 784]) })).output.data as Float32Array;
    const expected = await model.predict(x);
    for (let i = 0; i < expected.length; i++) expect(Math.abs(out[i] - expected[i])).toBeLessThanOrEqual(1e-5);
  });

  it('without --onnx or a folder exits 2', async () => {
    const err = await run(process.execPath, [bin, 'export', root]).then(() => undefined, (e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/--onnx FILE is required/);
  });
});

describe('downhill train --out', () => {
  it('writes report.html with the curves, the test metrics, the confusion matrix and the projection', async () => {
    const out = join(root, 'report');
    const { stderr } = await run(process.execPath, [bin, '--epochs', '2', '--layers', '32,16', '--out', out]);
    expect(stderr).toMatch(/report: .*report\.html/);
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect((html.match(/data-chart[^>]*><svg/g) ?? []).length).toBe(5);
    expect(html).toMatch(/Features of layer dense_2: PCA of 500 test rows/);
    expect(html).toMatch(/total params: 25,818/);
  });
});
