// ONNX export: onnxruntime-node runs the exported graph with outputs equal to model.predict.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  activation, adam, batchNorm, dense, dropout, layerNorm, sequential, standardize,
  type Activation, type Layer, type Sequential,
} from '../../lib/index.js';
import { ACTIVATIONS, type LayerSpec } from '../../lib/engine/engine.js';
import { encodeOnnx, type OnnxLayer } from '../../lib/io/onnx.js';
import { engineNames } from '../helpers/engines.js';
import { blobs, randomInputs } from '../helpers/data.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

async function runOnnx(bytes: Uint8Array, x: Float32Array, width: number): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ input: new ort.Tensor('float32', x, [x.length / width, width]) });
    return { data: result.output.data as Float32Array, dims: result.output.dims };
  } finally {
    await session.release();
  }
}

function expectClose(got: Float32Array, expected: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(got[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `largest difference at ${at}: onnx ${got[at]}, expected ${expected[at]}`).toBeLessThanOrEqual(tolerance);
}

/** Predict vs onnxruntime on the exported model, on x (n × inputSize). */
async function expectOnnxMatches(model: Sequential, x: Float32Array, tolerance = 1e-5): Promise<void> {
  const expected = await model.predict(x);
  const got = await runOnnx(model.toOnnx(), x, model.inputSize);
  expect(got.dims).toEqual([x.length / model.inputSize, expected.length / (x.length / model.inputSize)]);
  expectClose(got.data, expected, tolerance);
}

/** Inputs spread over [-3, 3) so pre-activations reach every activation's regions (hardSigmoid's clamps, elu's tail). */
function wideInputs(n: number, width: number, seed: number): Float32Array {
  return randomInputs(n, width, seed).map((v) => 3 * v);
}

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
      model.dispose();
    });
  }

  const x = wideInputs(48, 6, 7);
  for (const act of ACTIVATIONS) {
    it(`${act} as the dense activation and as an activation layer: onnxruntime equals predict within 1e-5`, async () => {
      const asDense = sequential({ inputSize: 6, seed: 11, engine, layers: [dense(10, { activation: act }), dense(5, { activation: act })] });
      const asLayer = sequential({
        inputSize: 6, seed: 11, engine,
        layers: [dense(10), activation(act), dense(5), activation(act)],
      });
      await expectOnnxMatches(asDense, x);
      await expectOnnxMatches(asLayer, x);
      asDense.dispose();
      asLayer.dispose();
    });
  }

  it("'swish' (= silu) exports like silu", async () => {
    const model = sequential({ inputSize: 6, seed: 2, engine, layers: [dense(8, { activation: 'swish' }), activation('swish')] });
    await expectOnnxMatches(model, x);
    model.dispose();
  });

  it('leakyRelu and elu with a non-default alpha (dense and activation layers)', async () => {
    const model = sequential({
      inputSize: 6, seed: 3, engine,
      layers: [
        dense(10, { activation: 'leakyRelu', alpha: 0.2 }),
        dense(8, { activation: 'elu', alpha: 0.5 }),
        dense(8), activation('leakyRelu', { alpha: 0.3 }),
        dense(4), activation('elu', { alpha: 1.7 }),
      ],
    });
    await expectOnnxMatches(model, x);
    model.dispose();
  });

  it('dense layers without bias (MatMul)', async () => {
    const model = sequential({
      inputSize: 6, seed: 5, engine,
      layers: [dense(10, { activation: 'relu', useBias: false }), dense(8, { useBias: false }), dense(3, { activation: 'softmax', useBias: false })],
    });
    expect(model.getWeights().map((w) => w.name.split('/')[1])).toEqual(['kernel', 'kernel', 'kernel']);
    await expectOnnxMatches(model, x);
    model.dispose();
  });

  it('dropout, trained, is the identity (in the middle and as the last layer)', async () => {
    const model = sequential({ inputSize: 12, seed: 6, engine, layers: [dense(16, { activation: 'relu' }), dropout(0.5), dense(4, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    await model.fit(data.x, data.y, { epochs: 2, batchSize: 16 });
    await expectOnnxMatches(model, data.x);
    model.dispose();
    const last = sequential({ inputSize: 12, seed: 6, engine, layers: [dense(4), dropout(0.3)] });
    await expectOnnxMatches(last, data.x);
    last.dispose();
    const only = sequential({ inputSize: 12, seed: 6, engine, layers: [dropout(0.3)] });
    await expectOnnxMatches(only, data.x);
    only.dispose();
  });

  it('batchNorm after a fit (running statistics moved) → BatchNormalization', async () => {
    const model = sequential({
      inputSize: 12, seed: 8, engine,
      layers: [dense(16), batchNorm(), activation('relu'), dense(4, { activation: 'softmax' })],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    await model.fit(data.x, data.y, { epochs: 3, batchSize: 16 });
    const running = model.getWeights().filter((w) => /\/running(Mean|Var)$/.test(w.name));
    expect(running).toHaveLength(2);
    expect(running[0].data.some((v) => v !== 0)).toBe(true);
    expect(running[1].data.some((v) => v !== 1)).toBe(true);
    await expectOnnxMatches(model, data.x);
    model.dispose();
  });

  it('batchNorm with eps 1e-3 as the last layer of a regression', async () => {
    const targets = new Float32Array(64 * 3).map((_, i) => Math.sin(i) * 2 + 1);
    const model = sequential({ inputSize: 12, seed: 9, engine, layers: [dense(8, { activation: 'tanh' }), dense(3), batchNorm({ eps: 1e-3, momentum: 0.3 })] });
    model.compile({ loss: 'meanSquaredError', optimizer: adam({ lr: 0.01 }) });
    await model.fit(data.x, targets, { epochs: 3, batchSize: 8 });
    await expectOnnxMatches(model, data.x);
    model.dispose();
  });

  it('layerNorm → LayerNormalization, trained, hidden and last (eps 1e-3)', async () => {
    const model = sequential({
      inputSize: 12, seed: 10, engine,
      layers: [dense(16), layerNorm(), activation('relu'), dense(4, { activation: 'softmax' })],
    });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    await model.fit(data.x, data.y, { epochs: 3, batchSize: 16 });
    await expectOnnxMatches(model, data.x);
    model.dispose();
    const last = sequential({ inputSize: 12, seed: 10, engine, layers: [dense(6), layerNorm({ eps: 1e-3 })] });
    const targets = new Float32Array(64 * 6).map((_, i) => Math.cos(i));
    last.compile({ loss: 'meanSquaredError', optimizer: adam({ lr: 0.01 }) });
    await last.fit(data.x, targets, { epochs: 2, batchSize: 8 });
    await expectOnnxMatches(last, data.x);
    last.dispose();
  });

  it('every layer kind in one network, with preprocessing (Sub/Div)', async () => {
    const raw = data.x.map((v, i) => v * 5 + (i % 12));
    const layers: Layer[] = [
      dense(16, { activation: 'gelu' }), batchNorm(), dropout(0.2),
      dense(12, { useBias: false }), layerNorm(), activation('mish'),
      dense(8, { activation: 'hardSigmoid' }), activation('leakyRelu', { alpha: 0.1 }),
      dense(4, { activation: 'softmax' }),
    ];
    const model = sequential({ inputSize: 12, seed: 12, engine, preprocess: standardize(raw, 12), layers });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    await model.fit(raw, data.y, { epochs: 2, batchSize: 16 });
    await expectOnnxMatches(model, raw);
    model.dispose();
  });
});

// The encoder alone, against a float64 evaluation of engine.ts's definitions (independent of any engine).
describe('encodeOnnx', () => {
  const SELU_L = 1.0507009873554805;
  const SELU_A = 1.6732632423543772;
  function erf(x: number): number {
    // Numerical Recipes' erfc Chebyshev fit: relative error < 1.2e-7, well inside the tolerances below.
    const t = 1 / (1 + 0.5 * Math.abs(x));
    const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? y : -y;
  }
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  const fns: Record<Exclude<Activation, 'softmax'>, (z: number, a: number) => number> = {
    linear: (z) => z,
    relu: (z) => Math.max(z, 0),
    sigmoid,
    tanh: Math.tanh,
    leakyRelu: (z, a) => (z > 0 ? z : a * z),
    elu: (z, a) => (z > 0 ? z : a * Math.expm1(z)),
    selu: (z) => SELU_L * (z > 0 ? z : SELU_A * Math.expm1(z)),
    gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
    geluTanh: (z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3))),
    softplus,
    silu: (z) => z * sigmoid(z),
    hardSigmoid: (z) => Math.min(Math.max(z / 6 + 0.5, 0), 1),
    mish: (z) => z * Math.tanh(softplus(z)),
  };
  function act(row: number[], name: Activation, alpha: number): number[] {
    if (name === 'softmax') {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }
    return row.map((v) => fns[name](v, alpha));
  }
  function reference(x: Float32Array, inputSize: number, layers: OnnxLayer[]): number[] {
    const out: number[] = [];
    for (let r = 0; r < x.length / inputSize; r++) {
      let row = Array.from(x.subarray(r * inputSize, (r + 1) * inputSize));
      for (const { spec, tensors: t } of layers) {
        if (spec.kind === 'dense') {
          const z: number[] = [];
          for (let j = 0; j < spec.units; j++) {
            let s = spec.useBias ? t.bias[j] : 0;
            for (let i = 0; i < spec.inputs; i++) s += row[i] * t.kernel[i * spec.units + j];
            z.push(s);
          }
          row = act(z, spec.activation, spec.alpha);
        } else if (spec.kind === 'activation') {
          row = act(row, spec.activation, spec.alpha);
        } else if (spec.kind === 'batchNorm') {
          row = row.map((v, j) => t.gamma[j] * (v - t.runningMean[j]) / Math.sqrt(t.runningVar[j] + spec.eps) + t.beta[j]);
        } else if (spec.kind === 'layerNorm') {
          const mu = row.reduce((a, b) => a + b, 0) / row.length;
          const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / row.length;
          row = row.map((e, j) => t.gamma[j] * (e - mu) / Math.sqrt(v + spec.eps) + t.beta[j]);
        }
      }
      out.push(...row);
    }
    return out;
  }
  const rand = (n: number, seed: number, scale = 1, shift = 0) => randomInputs(n, 1, seed).map((v) => v * scale + shift);
  function denseLayer(name: string, inputs: number, units: number, activation: Activation, options: { alpha?: number; useBias?: boolean } = {}): OnnxLayer {
    const spec: LayerSpec = {
      kind: 'dense', inputs, units, activation, alpha: options.alpha ?? 0.01, useBias: options.useBias ?? true,
      trainable: true, kernelL1: 0, kernelL2: 0, biasL1: 0, biasL2: 0,
    };
    const tensors: Record<string, Float32Array> = { kernel: rand(inputs * units, units + inputs, 0.8) };
    if (spec.useBias) tensors.bias = rand(units, units, 0.5);
    return { name, spec, tensors };
  }

  it('maps every layer kind to graph nodes that onnxruntime evaluates as the definitions (float64 reference)', async () => {
    const x = wideInputs(32, 5, 21);
    const layers: OnnxLayer[] = [];
    let width = 5;
    let k = 0;
    for (const a of ACTIVATIONS) {
      layers.push(denseLayer(`d${k++}`, width, 6, a, { alpha: a === 'elu' ? 0.7 : 0.05, useBias: k % 3 !== 0 }));
      width = 6;
      layers.push({ name: `a${k++}`, spec: { kind: 'activation', inputs: 6, units: 6, activation: a === 'softmax' ? 'linear' : a, alpha: a === 'elu' ? 1.3 : 0.2 }, tensors: {} });
      if (k % 4 === 0) layers.push({ name: `n${k++}`, spec: { kind: 'layerNorm', inputs: 6, units: 6, eps: 1e-3, trainable: true }, tensors: { gamma: rand(6, k, 0.5, 1), beta: rand(6, k + 1, 0.3) } });
      if (k % 5 === 0) {
        layers.push({
          name: `b${k++}`, spec: { kind: 'batchNorm', inputs: 6, units: 6, momentum: 0.1, eps: 1e-2, trainable: true },
          tensors: { gamma: rand(6, k, 0.5, 1), beta: rand(6, k + 1, 0.3), runningMean: rand(6, k + 2, 0.5), runningVar: rand(6, k + 3, 0.4, 1) },
        });
      }
      layers.push({ name: `p${k++}`, spec: { kind: 'dropout', inputs: 6, units: 6, rate: 0.5 }, tensors: {} });
    }
    const shift = rand(5, 40, 0.2);
    const scale = rand(5, 41, 0.2, 1.5);
    const bytes = encodeOnnx(5, layers, 'test', { shift, scale });
    const pre = x.map((v, i) => (v - shift[i % 5]) / scale[i % 5]);
    const got = await runOnnx(bytes, x, 5);
    expect(got.dims).toEqual([32, 6]);
    expectClose(got.data, reference(pre, 5, layers), 1e-5);
  });

  it.each(ACTIVATIONS)('%s alone matches the float64 definition', async (a) => {
    const x = wideInputs(64, 4, 22);
    const layers: OnnxLayer[] = [{ name: 'act', spec: { kind: 'activation', inputs: 4, units: 4, activation: a, alpha: a === 'elu' ? 0.6 : 0.15 }, tensors: {} }];
    const got = await runOnnx(encodeOnnx(4, layers, 'test'), x, 4);
    expectClose(got.data, reference(x, 4, layers), 1e-6);
  });

  it('an Identity node when no layer makes one, and unique names for repeated layer names', async () => {
    const x = wideInputs(4, 3, 23);
    const only = await runOnnx(encodeOnnx(3, [{ name: 'drop', spec: { kind: 'dropout', inputs: 3, units: 3, rate: 0.1 }, tensors: {} }], 'test'), x, 3);
    expectClose(only.data, x, 0);
    const twice = [denseLayer('same', 3, 3, 'silu'), denseLayer('same', 3, 2, 'silu')];
    const got = await runOnnx(encodeOnnx(3, twice, 'test'), x, 3);
    expectClose(got.data, reference(x, 3, twice), 1e-6);
  });

  it('rejects a missing or mis-sized tensor', () => {
    const layer = denseLayer('d', 3, 2, 'relu');
    expect(() => encodeOnnx(3, [{ ...layer, tensors: { kernel: layer.tensors.kernel } }], 'test')).toThrow(/lacks its 'bias'/);
    expect(() => encodeOnnx(3, [{ ...layer, tensors: { ...layer.tensors, kernel: new Float32Array(5) } }], 'test')).toThrow(/6 float32 values/);
  });
});
