// fit over a stream of { x, y } batches: same training as in-memory data, backpressure,
// flat memory, clear errors.
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { adam, dense, sequential } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs, oneHot } from '../helpers/data.js';

const run = promisify(execFile);
const data = blobs(1000, 8, 3, 2);

function model(engine: 'native' | 'js') {
  const m = sequential({ inputSize: 8, seed: 5, engine, layers: [dense(16, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
  return m;
}

/** The rows in order, `batch` at a time (the last batch short). */
async function* batches(batch: number, targets: 'labels' | 'one-hot' = 'labels') {
  for (let start = 0; start < 1000; start += batch) {
    const end = Math.min(1000, start + batch);
    const y = data.y.slice(start, end);
    yield { x: data.x.slice(start * 8, end * 8), y: targets === 'labels' ? y : oneHot(y, 3) };
  }
}

const bits = (m: ReturnType<typeof model>) => m.getWeights().map((w) => Buffer.from(w.data.buffer).toString('hex'));

describe.each(engineNames())('%s engine: fit over a stream', (engine) => {
  it('trains exactly like the same batches in memory without shuffling', async () => {
    const a = model(engine);
    const b = model(engine);
    const ha = await a.fit(data.x, data.y, { epochs: 1, batchSize: 30, shuffle: false });
    const hb = await b.fit(batches(30), { epochs: 1 });
    expect(hb.epochs[0].loss).toBe(ha.epochs[0].loss);
    expect(hb.epochs[0].accuracy).toBe(ha.epochs[0].accuracy);
    expect(bits(b)).toEqual(bits(a));
  });

  it('accepts a Node Readable in object mode and one-hot targets', async () => {
    const m = model(engine);
    const h = await m.fit(Readable.from(batches(25, 'one-hot')), { validationData: [data.x, data.y] });
    expect(h.epochs[0].valAccuracy).toBeGreaterThan(0.5);
  });

  it('a function gives a fresh stream per epoch', async () => {
    const m = model(engine);
    const opened: number[] = [];
    const h = await m.fit((epoch) => (opened.push(epoch), batches(50)), { epochs: 3 });
    expect(opened).toEqual([0, 1, 2]);
    expect(h.epochs[2].loss).toBeLessThan(h.epochs[0].loss);
  });

  it('pulls batches only as training consumes them (backpressure)', async () => {
    const m = model(engine);
    let produced = 0;
    let worstLead = 0;
    async function* counting() {
      for await (const b of batches(10)) {
        produced += 10;
        yield b;
      }
    }
    await m.fit(counting(), {
      callbacks: [{ onProgress: (p) => void (worstLead = Math.max(worstLead, produced - p.step * 10)) }],
    });
    expect(produced).toBe(1000);
    expect(worstLead).toBeLessThanOrEqual(4096 + 10);
  });

  it('a one-shot stream with epochs > 1 is a RangeError after the first epoch', async () => {
    await expect(model(engine).fit(batches(50), { epochs: 2 })).rejects.toThrow(/epoch 2 received no data \(a stream can be read once/);
  });

  it('a bad batch is a TypeError/RangeError naming its index', async () => {
    async function* bad() {
      yield { x: data.x.slice(0, 16), y: data.y.slice(0, 2) };
      yield { x: data.x.slice(0, 15), y: data.y.slice(0, 2) };
    }
    await expect(model(engine).fit(bad())).rejects.toThrow(/^fit\(source\)\[batch 1\]\.x: expected a length that is a multiple of 8/);
    async function* notObjects() {
      yield 5;
    }
    await expect(model(engine).fit(notObjects() as never)).rejects.toThrow(/^fit\(source\)\[batch 0\]: expected an object \{ x, y \}, received 5$/);
  });

  it('batchSize and shuffle are rejected for streams', async () => {
    await expect(model(engine).fit(batches(10), { batchSize: 10 } as never)).rejects.toThrow(/unknown option 'batchSize'/);
  });

  it('memory stays flat over 10^5 streamed samples', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', fileURLToPath(new URL('../fixtures/stream-memory.mjs', import.meta.url)), engine]);
    const { growth, datasetBytes } = JSON.parse(stdout);
    expect(growth).toBeLessThan(2 * 1024 * 1024);
    expect(datasetBytes).toBe(40_000_000);
  });
});
