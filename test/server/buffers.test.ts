// Buffers given to a running job: transferring them mid-call never reaches the engine
// (the job works on its own copy), so the process never crashes and results stay right.
import { describe, expect, it } from 'vitest';
import { adam, dense, sequential } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';

describe.each(engineNames())('%s engine: buffers transferred during a call', (engine) => {
  const data = blobs(3000, 16, 3, 4);
  const model = () => {
    const m = sequential({ inputSize: 16, seed: 3, engine, layers: [dense(32, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    return m;
  };

  it('fit: detaching x and y mid-fit changes nothing in the result (native), or fails cleanly (js)', async () => {
    const reference = model();
    const expected = await reference.fit(data.x, data.y, { epochs: 3, batchSize: 8 });
    const x = data.x.slice();
    const y = data.y.slice();
    const m = model();
    let detached = false;
    const result = await m
      .fit(x, y, {
        epochs: 3,
        batchSize: 8,
        callbacks: [{ onProgress: () => {
          if (detached) return;
          detached = true;
          structuredClone(x.buffer, { transfer: [x.buffer] });
          structuredClone(y.buffer, { transfer: [y.buffer] });
        } }],
      })
      .then((h) => h, (e) => e);
    expect(detached).toBe(true);
    expect(x.length).toBe(0);
    if (engine === 'native') {
      expect(result.epochs.map((e: { loss: number }) => e.loss)).toEqual(expected.epochs.map((e) => e.loss));
    } else if (result instanceof Error) {
      expect(result.name).toMatch(/NonFiniteLossError|TypeError|RangeError/);
    }
  });

  it('predict: detaching the output buffer mid-call is an error or a completed call, never a crash', async () => {
    const m = model();
    // 12,000 rows: large enough to run off the JS thread (a few rows run inline, like predictSync).
    const x = new Float32Array(4 * data.x.length);
    for (let k = 0; k < 4; k++) x.set(data.x, k * data.x.length);
    const out = new Float32Array(12000 * 3);
    const pending = m.predict(x, { out }).then(() => 'ok', (e) => e);
    structuredClone(out.buffer, { transfer: [out.buffer] });
    const result = await pending;
    if (result !== 'ok') expect(result).toBeInstanceOf(Error);
    // The model keeps working.
    expect((await m.predict(data.x.subarray(0, 16))).length).toBe(3);
  });
});
