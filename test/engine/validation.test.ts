// Bad input to the public API: a TypeError/RangeError naming the argument, the expected and
// the received value, before any engine work; never a crash. Runs once per engine.
import { describe, expect, it } from 'vitest';
import { adam, dense, losses, sequential, sgd, adamw, ShapeError } from '../../lib/index.js';
import { engineNames } from '../helpers/engines.js';
import { randomInputs, randomLabels } from '../helpers/data.js';

describe.each(engineNames())('%s engine rejects bad input', (engine) => {
  const make = () => {
    const m = sequential({ inputSize: 4, seed: 1, engine, layers: [dense(5, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam() });
    return m;
  };
  const x = randomInputs(10, 4, 1);
  const y = randomLabels(10, 3, 2);

  const fitCases: [string, () => Promise<unknown>, ErrorConstructor, RegExp][] = [
    ['x as a string', () => make().fit('abc' as never, y), TypeError, /^fit\(x\): expected a Float32Array of n·4 values or an array of rows, received string "abc"$/],
    ['x as null', () => make().fit(null as never, y), TypeError, /^fit\(x\): expected .*, received null$/],
    ['x as a plain object', () => make().fit({} as never, y), TypeError, /^fit\(x\): expected .*, received object$/],
    ['x as a ragged number[][]', () => make().fit([[1, 2, 3, 4], [1, 2]], [0, 1]), ShapeError, /^fit\(x\)\[1\]: expected 4 values, received 2$/],
    ['x as an Int32Array', () => make().fit(new Int32Array(40) as never, y), TypeError, /^fit\(x\): expected .*received Int32Array\(40\)$/],
    ['x length not a multiple of inputSize', () => make().fit(new Float32Array(41), y), ShapeError, /^fit\(x\): expected a length that is a multiple of 4 .*received Float32Array\(41\)/],
    ['an empty x', () => make().fit(new Float32Array(0), new Int32Array(0)), ShapeError, /^fit\(x\): expected at least one row of 4 values, received an empty dataset$/],
    ['NaN in x', () => { const bad = x.slice(); bad[9] = NaN; return make().fit(bad, y); }, RangeError, /^fit\(x\): expected finite values, received NaN at row 2, column 1$/],
    ['Infinity in x', () => { const bad = x.slice(); bad[0] = Infinity; return make().fit(bad, y); }, RangeError, /received Infinity at row 0, column 0$/],
    ['y length mismatch', () => make().fit(x, new Int32Array(9)), ShapeError, /^fit\(y\): expected 10 class indices \(one per row of x\), received Int32Array\(9\)$/],
    ['a class index out of range', () => make().fit(x, Int32Array.from(y).fill(3, 4, 5)), RangeError, /^fit\(y\)\[4\]: expected a class index, an integer in \[0, 2\], received 3$/],
    ['a negative class index', () => make().fit(x, [0, 1, 2, 0, -1, 0, 1, 2, 0, 1]), RangeError, /^fit\(y\)\[4\]: .*received -1$/],
    ['a non-integer class index', () => make().fit(x, [0, 1, 2, 0, 1.5, 0, 1, 2, 0, 1]), RangeError, /^fit\(y\)\[4\]: .*received 1.5$/],
    ['float targets of the wrong length', () => make().fit(x, new Float32Array(10)), ShapeError, /^fit\(y\): expected a Float32Array of 10·3 = 30 target values/],
    ['NaN in float targets', () => { const t = new Float32Array(30); t[5] = NaN; return make().fit(x, t); }, RangeError, /^fit\(y\): expected finite values, received NaN at row 1, column 2$/],
    ['batchSize 0', () => make().fit(x, y, { batchSize: 0 }), RangeError, /^fit\(options.batchSize\): expected an integer ≥ 1, received 0$/],
    ['batchSize -3', () => make().fit(x, y, { batchSize: -3 }), RangeError, /received -3$/],
    ['batchSize 2.5', () => make().fit(x, y, { batchSize: 2.5 }), RangeError, /received 2.5$/],
    ['batchSize larger than n', () => make().fit(x, y, { batchSize: 11 }), RangeError, /^fit\(options.batchSize\): expected an integer in \[1, 10\] \(the number of rows\), received 11$/],
    ['batchSize as a string', () => make().fit(x, y, { batchSize: '8' as never }), TypeError, /^fit\(options.batchSize\): expected an integer, received string "8"$/],
    ['epochs NaN', () => make().fit(x, y, { epochs: NaN }), RangeError, /^fit\(options.epochs\): expected an integer in \[0, 1000000000\], received NaN$/],
    ['an unknown option', () => make().fit(x, y, { epoch: 3 } as never), TypeError, /^fit\(options\): unknown option 'epoch'/],
    ['a schedule returning NaN', () => make().fit(x, y, { schedule: () => NaN }), RangeError, /^fit\(options.schedule\): expected a finite learning rate ≥ 0 at step 0, received NaN$/],
    ['a signal that is not an AbortSignal', () => make().fit(x, y, { signal: {} as never }), TypeError, /^fit\(options.signal\): expected an AbortSignal, received object$/],
    ['validationData of the wrong shape', () => make().fit(x, y, { validationData: [x] as never }), TypeError, /^fit\(options.validationData\): expected an array \[x, y\]/],
    ['predict on a wrong-length x', () => make().predict(new Float32Array(7)), ShapeError, /^predict\(x\): expected a length that is a multiple of 4/],
    ['predict with a wrong-length out', () => make().predict(x, { out: new Float32Array(3) }), ShapeError, /^predict\(options.out\): expected 10·3 values, received Float32Array\(3\)$/],
    ['predict with NaN', () => make().predict(Float32Array.of(1, 2, NaN, 4)), RangeError, /^predict\(x\): expected finite values, received NaN at row 0, column 2$/],
    // Large inputs take the engine's vectorised scan first; the error still names the value.
    ['NaN deep in a large x', () => { const big = randomInputs(2000, 4, 5); big[4 * 1500 + 3] = NaN; return make().fit(big, randomLabels(2000, 3, 6)); }, RangeError, /^fit\(x\): expected finite values, received NaN at row 1500, column 3$/],
    ['-Infinity at the end of a large predict x', () => { const big = randomInputs(2000, 4, 5); big[7999] = -Infinity; return make().predict(big); }, RangeError, /^predict\(x\): expected finite values, received -Infinity at row 1999, column 3$/],
    ['Infinity in a large predictSync x', async () => { const big = randomInputs(2000, 4, 5); big[4096] = Infinity; return make().predictSync(big); }, RangeError, /^predictSync\(x\): expected finite values, received Infinity at row 1024, column 0$/],
    ['evaluate with labels out of range', () => make().evaluate(x, new Int32Array(10).fill(7)), RangeError, /^evaluate\(y\)\[0\]: .*received 7$/],
  ];
  for (const [what, call, kind, message] of fitCases) {
    it(`${what} → ${kind.name}`, async () => {
      const m = make();
      const before = m.getWeights();
      const err = await call().then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(kind);
      expect(err.message).toMatch(message);
      expect(m.getWeights()).toEqual(before);
    });
  }

  const syncCases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['an unknown activation', () => dense(4, { activation: 'swishy' as never }), RangeError, /^dense\(options.activation\): expected one of 'linear', 'relu', 'sigmoid', .*'softmax', 'swish', received string "swishy"$/],
    ['a layer width of 0', () => dense(0), RangeError, /^dense\(units\): expected an integer in \[1, 16777216\], received 0$/],
    ['a negative layer width', () => dense(-5), RangeError, /received -5$/],
    ['a huge layer width', () => dense(2 ** 40), RangeError, /received 1099511627776$/],
    ['a parameter count beyond 2³⁰', () => sequential({ inputSize: 1 << 16, engine, layers: [dense(1 << 16), dense(2, { activation: 'softmax' })] }), RangeError, /^sequential\(options.layers\): expected at most 1073741824 parameters in all, received 4295163906$/],
    ['inputSize 0', () => sequential({ inputSize: 0, engine, layers: [dense(2)] }), RangeError, /^sequential\(options.inputSize\): expected an integer in \[1, 16777216\], received 0$/],
    ['no layers', () => sequential({ inputSize: 3, engine, layers: [] }), TypeError, /^sequential\(options.layers\): expected a non-empty array of layers/],
    ['a layer that is not a layer', () => sequential({ inputSize: 3, engine, layers: [{} as never] }), TypeError, /^sequential\(options.layers\[0\]\): expected a layer made by dense\(\), activation\(\), dropout\(\), batchNorm\(\) or layerNorm\(\), received object$/],
    ['fromLogits with a softmax output', () => make().compile({ loss: losses.categoricalCrossentropy({ fromLogits: true }), optimizer: adam() }), RangeError, /^compile\(options.loss\): fromLogits expects raw scores, received a network whose last layer applies 'softmax'/],
    ['an unknown engine', () => sequential({ inputSize: 3, engine: 'gpu' as never, layers: [dense(2)] }), RangeError, /^sequential\(options.engine\): expected one of 'auto', 'native', 'js', received string "gpu"$/],
    ['an unknown loss', () => make().compile({ loss: 'crossEntropy' as never, optimizer: adam() }), RangeError, /^compile\(options.loss\): expected one of 'meanSquaredError', .*'poisson', received string "crossEntropy"$/],
    ['CE without a softmax output', () => { const m = sequential({ inputSize: 3, engine, layers: [dense(2)] }); m.compile({ loss: 'categoricalCrossentropy', optimizer: adam() }); }, RangeError, /^compile\(options.loss\): expected probabilities \(a softmax last layer\) for 'categoricalCrossentropy', received a 'linear' last layer/],
    ['a missing optimizer', () => make().compile({ loss: 'categoricalCrossentropy' } as never), TypeError, /^compile\(options.optimizer\): expected an optimizer made by sgd\(\), adam\(\), … or lion\(\), received undefined$/],
    ['a negative learning rate', () => adam({ lr: -1 }), RangeError, /^adam\(options.lr\): expected a number > 0, received -1$/],
    ['a NaN learning rate', () => sgd({ lr: NaN }), RangeError, /^sgd\(options.lr\): expected a finite number, received NaN$/],
    ['beta1 = 1', () => adam({ beta1: 1 }), RangeError, /^adam\(options.beta1\): expected a number in \[0, 1\), received 1$/],
    ['beta2 < 0', () => adamw({ beta2: -0.1 }), RangeError, /^adamw\(options.beta2\): expected a number in \[0, 1\), received -0.1$/],
    ['eps = 0', () => adam({ eps: 0 }), RangeError, /^adam\(options.eps\): expected a number > 0, received 0$/],
    ['a negative weight decay', () => adam({ weightDecay: -1 }), RangeError, /^adam\(options.weightDecay\): expected a number ≥ 0, received -1$/],
    ['a negative momentum', () => sgd({ momentum: -0.5 }), RangeError, /^sgd\(options.momentum\): expected a number ≥ 0, received -0.5$/],
    ['Nesterov without momentum', () => sgd({ nesterov: true }), RangeError, /^sgd\(options.nesterov\): expected momentum > 0 and dampening 0/],
    ['Nesterov with dampening', () => sgd({ nesterov: true, momentum: 0.9, dampening: 0.1 }), RangeError, /received momentum 0.9 and dampening 0.1$/],
    ['setWeights with a wrong name', () => { const m = make(); const w = m.getWeights(); w[0] = { ...w[0], name: 'x/kernel' }; m.setWeights(w); }, RangeError, /^setWeights\(weights\[0\]\).name: expected 'dense_1\/kernel', received string "x\/kernel"$/],
    ['setWeights with a wrong shape', () => { const m = make(); const w = m.getWeights(); w[1] = { ...w[1], shape: [4] }; m.setWeights(w); }, ShapeError, /^setWeights\(weights\[1\]\).shape: expected \[5\], received \[4\]$/],
    ['setWeights with too few tensors', () => { const m = make(); m.setWeights(m.getWeights().slice(1)); }, ShapeError, /^setWeights\(weights\): expected 4 tensors, received 3$/],
  ];
  for (const [what, call, kind, message] of syncCases) {
    it(`${what} → ${kind.name}`, () => {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(kind);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('Float64Array inputs are converted, not rejected', async () => {
    const m = make();
    const p64 = await m.predict(Float64Array.from(x) as never);
    expect(p64).toEqual(await m.predict(x));
  });

  it('subarray views at any offset are read correctly', async () => {
    const m = make();
    const padded = new Float32Array(x.length + 3);
    padded.set(x, 3);
    expect(await m.predict(padded.subarray(3))).toEqual(await m.predict(x));
  });
});
