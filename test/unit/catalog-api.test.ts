// The catalog's factories and checks: what users pass is validated with messages that name
// the argument, the expectation and what came.
import { describe, expect, it } from 'vitest';
import { activation, batchNorm, dense, dropout, layerFromConfig, layerNorm } from '../../lib/layers.js';
import { l1, l1l2, l2 } from '../../lib/regularizers.js';
import { losses, toLoss } from '../../lib/losses.js';
import { lossTargets, rowWeights, toClassWeight, toSampleWeight } from '../../lib/targets.js';
import { buildLayerSpecs, namedTensors } from '../../lib/model-layers.js';

describe('layer factories', () => {
  it('dense takes every activation name, and swish means silu', () => {
    expect(dense(4, { activation: 'gelu' }).activation).toBe('gelu');
    expect(dense(4, { activation: 'swish' }).activation).toBe('silu');
    expect(activation('swish').activation).toBe('silu');
  });

  it('an unknown activation is a RangeError naming the option', () => {
    expect(() => dense(4, { activation: 'gaussian' as never })).toThrow(RangeError);
    expect(() => dense(4, { activation: 'gaussian' as never })).toThrow(/dense\(options.activation\): expected one of 'linear', 'relu'.*received string "gaussian"/);
    expect(() => activation('Relu' as never)).toThrow(/activation\(name\)/);
  });

  it('alpha defaults to PyTorch (0.01 leakyRelu, 1 elu) and is refused where it means nothing', () => {
    expect(activation('leakyRelu').alpha).toBe(0.01);
    expect(activation('elu').alpha).toBe(1);
    expect(activation('leakyRelu', { alpha: 0.2 }).alpha).toBe(0.2);
    expect(() => dense(3, { activation: 'relu', alpha: 0.1 })).toThrow(/dense\(options.alpha\): alpha applies to 'leakyRelu' and 'elu'/);
  });

  it('dropout rate must be in [0, 1)', () => {
    expect(dropout(0).rate).toBe(0);
    expect(() => dropout(1)).toThrow(RangeError);
    expect(() => dropout(1)).toThrow(/dropout\(rate\): expected a number in \[0, 1\), received 1/);
    expect(() => dropout(-0.1)).toThrow(/dropout\(rate\)/);
    expect(() => dropout('0.5' as never)).toThrow(TypeError);
  });

  it('batchNorm defaults to PyTorch momentum 0.1 and eps 1e-5; bad values are RangeErrors', () => {
    expect(batchNorm()).toMatchObject({ momentum: 0.1, eps: 1e-5, trainable: true });
    expect(() => batchNorm({ momentum: 1.5 })).toThrow(/batchNorm\(options.momentum\): expected a number in \[0, 1\]/);
    expect(() => batchNorm({ eps: 0 })).toThrow(/batchNorm\(options.eps\): expected a number > 0/);
    expect(() => layerNorm({ eps: -1 })).toThrow(/layerNorm\(options.eps\)/);
  });

  it('unknown options are TypeErrors listing the known ones', () => {
    expect(() => dense(3, { activaton: 'relu' } as never)).toThrow(/unknown option 'activaton'/);
    expect(() => dropout(0.1, { seed: 3 } as never)).toThrow(/unknown option 'seed'/);
  });

  it('a bias regularizer on a layer without bias is refused', () => {
    expect(() => dense(3, { useBias: false, biasRegularizer: l2(0.1) })).toThrow(/biasRegularizer\): the layer has no bias/);
  });

  it('a saved layer description rebuilds the same layer', () => {
    const layers = [
      dense(5, { activation: 'leakyRelu', alpha: 0.3, kernelRegularizer: l1l2({ l1: 0.1, l2: 0.2 }), trainable: false, name: 'd' }),
      activation('elu', { alpha: 0.5 }),
      dropout(0.25),
      batchNorm({ momentum: 0.2 }),
      layerNorm({ eps: 1e-3 }),
      dense(2, { activation: 'softmax', useBias: false }),
    ];
    for (const layer of layers) expect(layerFromConfig('layers[0]', JSON.parse(JSON.stringify(layer)))).toEqual(layer);
  });

  it('a saved description with an unknown kind is refused', () => {
    expect(() => layerFromConfig('layers[2]', { kind: 'conv2d' })).toThrow(/layers\[2\].kind: expected one of 'dense'/);
  });
});

describe('regularizers', () => {
  it('factors below 0 are RangeErrors', () => {
    expect(() => l1(-0.01)).toThrow(/l1\(factor\): expected a number ≥ 0, received -0.01/);
    expect(() => l2(-1)).toThrow(RangeError);
    expect(() => l1l2({ l2: -1 })).toThrow(/l1l2\(options.l2\)/);
    expect(() => l2(Number.NaN)).toThrow(/finite/);
  });

  it('the Keras defaults are 0.01', () => {
    expect(l1()).toEqual({ l1: 0.01, l2: 0 });
    expect(l2()).toEqual({ l1: 0, l2: 0.01 });
    expect(l1l2()).toEqual({ l1: 0.01, l2: 0.01 });
  });

  it('a layer passes its factors to the engine spec', () => {
    const { specs } = buildLayerSpecs('layers', 3, [dense(2, { kernelRegularizer: l2(0.5), biasRegularizer: l1(0.25) })]);
    expect(specs[0]).toMatchObject({ kernelL1: 0, kernelL2: 0.5, biasL1: 0.25, biasL2: 0 });
  });
});

describe('losses', () => {
  it('names, Keras aliases and specs are accepted', () => {
    expect(toLoss('l', 'mse').kind).toBe('meanSquaredError');
    expect(toLoss('l', 'kld').kind).toBe('kullbackLeiblerDivergence');
    expect(toLoss('l', losses.huber({ delta: 2 }))).toEqual({ kind: 'huber', fromLogits: false, labelSmoothing: 0, delta: 2 });
  });

  it('an unknown loss name is a RangeError', () => {
    expect(() => toLoss('compile(options.loss)', 'crossEntropy')).toThrow(/compile\(options.loss\): expected one of 'meanSquaredError'/);
  });

  it('settings a loss does not have are refused', () => {
    expect(() => toLoss('l', { kind: 'meanSquaredError', fromLogits: true })).toThrow(/fromLogits: applies to binaryCrossentropy/);
    expect(() => toLoss('l', { kind: 'huber', labelSmoothing: 0.1 })).toThrow(/labelSmoothing: applies to categoricalCrossentropy/);
    expect(() => losses.huber({ delta: 0 })).toThrow(/delta\): expected a number > 0/);
    expect(() => losses.categoricalCrossentropy({ labelSmoothing: 1.5 })).toThrow(/labelSmoothing\): expected a number in \[0, 1\]/);
  });
});

describe('targets for a loss', () => {
  const bce = toLoss('l', 'binaryCrossentropy');
  const cce = toLoss('l', 'categoricalCrossentropy');
  const hinge = toLoss('l', 'hinge');

  it('class indices stay indices for categoricalCrossentropy', () => {
    expect(lossTargets('y', [2, 0], 2, 3, cce).labels).toEqual(Int32Array.from([2, 0]));
  });

  it('class indices become one-hot rows for other losses with several outputs', () => {
    expect(lossTargets('y', [1, 0], 2, 2, toLoss('l', 'mse')).targets).toEqual(Float32Array.from([0, 1, 1, 0]));
  });

  it('a flat array is one target value per row for a one-output network', () => {
    expect(lossTargets('y', [-1, 1, 1], 3, 1, hinge).targets).toEqual(Float32Array.from([-1, 1, 1]));
    expect(lossTargets('y', Uint8Array.from([0, 1]), 2, 1, bce).targets).toEqual(Float32Array.from([0, 1]));
  });

  it('labels that do not fit the loss are RangeErrors naming row and column', () => {
    expect(() => lossTargets('fit(y)', [0, 2], 2, 1, bce)).toThrow(/fit\(y\): expected a target in \[0, 1\] for the 'binaryCrossentropy' loss, received 2 at row 1, column 0/);
    expect(() => lossTargets('fit(y)', [0.5], 1, 1, hinge)).toThrow(/label −1\/1 or 0\/1 for the 'hinge' loss/);
    expect(() => lossTargets('fit(y)', [-1], 1, 1, toLoss('l', 'poisson'))).toThrow(/count ≥ 0/);
    expect(() => lossTargets('fit(y)', [3], 1, 3, cce)).toThrow(/fit\(y\)\[0\]: expected a class index, an integer in \[0, 2\], received 3/);
  });
});

describe('weights', () => {
  it('sampleWeight needs one finite weight ≥ 0 per row', () => {
    expect(() => toSampleWeight('fit(options.sampleWeight)', [1, 2], 3)).toThrow(/3 weights \(one per row of x\)/);
    expect(() => toSampleWeight('fit(options.sampleWeight)', [1, -2, 1], 3)).toThrow(/sampleWeight\)\[1\]: expected a finite weight ≥ 0, received -2/);
  });

  it('classWeight keys must be classes', () => {
    expect(() => toClassWeight('fit(options.classWeight)', { 3: 1 }, 3)).toThrow(/class keys in \[0, 2\]/);
    expect(Array.from(toClassWeight('c', { 1: 5 }, 2)!)).toEqual([1, 5]);
  });

  it('row weights multiply the sample weight by the weight of the row class', () => {
    const w = rowWeights(Float32Array.from([1, 2, 3]), Float64Array.from([1, 10]), { labels: null, targets: Float32Array.from([0, 1, 1]) }, 3, 1);
    expect(Array.from(w!)).toEqual([1, 20, 30]);
    const byLabel = rowWeights(null, Float64Array.from([1, 2, 3]), { labels: Int32Array.from([2, 0]), targets: null }, 2, 3);
    expect(Array.from(byLabel!)).toEqual([3, 1]);
    expect(rowWeights(null, null, { labels: Int32Array.from([0]), targets: null }, 1, 3)).toBeNull();
  });
});

describe('weight tensors', () => {
  it('names and arena order: dense kernel/bias, batchNorm statistics not trainable', () => {
    const { specs, names } = buildLayerSpecs('layers', 3, [dense(4, { name: 'h' }), batchNorm(), dropout(0.1), layerNorm({ trainable: false }), dense(2, { useBias: false })]);
    const list = namedTensors(specs, names).map((t) => [t.name, t.shape, t.offset, t.trainable]);
    expect(list).toEqual([
      ['h/kernel', [3, 4], 0, true],
      ['h/bias', [4], 12, true],
      ['batch_norm_2/gamma', [4], 16, true],
      ['batch_norm_2/beta', [4], 20, true],
      ['batch_norm_2/runningMean', [4], 24, false],
      ['batch_norm_2/runningVar', [4], 28, false],
      ['layer_norm_4/gamma', [4], 32, false],
      ['layer_norm_4/beta', [4], 36, false],
      ['dense_5/kernel', [4, 2], 40, true],
    ]);
  });
});
