// ONNX export: onnxruntime-node runs the exported graph with outputs equal to model.predict.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { adam, dense, sequential, type Activation } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { blobs } from '../helpers/data.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

describe.each(engineNames())('%s engine: toOnnx', (engine) => {
  const data = blobs(64, 12, 4, 1);
  const stacks: [string, Activation[]][] = [
    ['relu → relu → softmax', ['relu', 'relu', 'softmax']],
    ['linear output', ['relu', 'linear']],
    ['a single softmax layer', ['softmax']],
  ];
  for (const [what, acts] of stacks) {
    it(`${what}: onnxruntime output equals predict within 1e-5`, async () => {
      const widths = [16, 8, 4].slice(3 - acts.length);
      const model = sequential({ inputSize: 12, seed: 4, engine, layers: acts.map((activation, i) => dense(widths[i], { activation })) });
      if (acts[acts.length - 1] === 'softmax') {
        model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
        await model.fit(data.x, data.y, { epochs: 2, batchSize: 16 });
      }
      const expected = await model.predict(data.x);
      const session = await ort.InferenceSession.create(model.toOnnx());
      const result = await session.run({ input: new ort.Tensor('float32', data.x, [64, 12]) });
      const got = result.output.data as Float32Array;
      expect(result.output.dims).toEqual([64, widths[acts.length - 1]]);
      for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(1e-5);
    });
  }
});
