// The pure-TS engine's special functions and activations: erf/erfc against high-precision
// values, every activation's derivative against float64 central differences, known values,
// and no NaN from any finite input (float64 and float32 buffers).
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Activation } from '../../lib/engine/engine.js';
import { activationBackward, activationForward, SELU_ALPHA, SELU_LAMBDA } from '../../lib/engine/js/activations.js';
import { erf, erfc } from '../../lib/engine/js/special.js';

/** [x, erf(x)] from mpmath at 40 digits. */
const ERF: [number, number][] = [
  [1e-12, 1.1283791670955126e-12], [0.1, 0.1124629160182849], [0.3, 0.3286267594591274], [0.46875, 0.49261347321793797],
  [0.5, 0.5204998778130465], [0.9, 0.7969082124228322], [1, 0.8427007929497149], [1.5, 0.9661051464753108],
  [2, 0.9953222650189527], [3, 0.9999779095030014], [3.9, 0.9999999652077514], [4, 0.9999999845827421],
  [4.1, 0.9999999932999724], [5, 0.9999999999984626], [6, 1],
];
/** [x, erfc(x)] from mpmath, down the tail. */
const ERFC: [number, number][] = [
  [0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047266], [3, 2.209049699858544e-5],
  [4, 1.541725790028002e-8], [5, 1.537459794428035e-12], [6, 2.1519736712498913e-17], [8, 1.1224297172982926e-29],
  [10, 2.088487583762545e-45], [15, 7.212994172451207e-100], [20, 5.395865611607901e-176], [26, 5.663192408856143e-296],
  [-0.3, 1.3286267594591274], [-1, 1.8427007929497148], [-3, 1.9999779095030015],
];

const rel = (a: number, e: number) => (e === 0 ? Math.abs(a) : Math.abs(a - e) / Math.abs(e));

describe('erf and erfc (Cody)', () => {
  it('erf within 2e-15 relative of 40-digit values, odd', () => {
    for (const [x, e] of ERF) {
      expect(rel(erf(x), e), `erf(${x})`).toBeLessThanOrEqual(2e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
  });
  it('erfc within 1e-14 relative down to 5.7e-296, and 0 beyond underflow', () => {
    for (const [x, e] of ERFC) expect(rel(erfc(x), e), `erfc(${x})`).toBeLessThanOrEqual(1e-14);
    expect(erfc(27)).toBe(0);
    expect(erfc(-30)).toBe(2);
  });
  it('edge values: 0, ±∞, NaN', () => {
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erf(NaN)).toBeNaN();
    expect(erfc(NaN)).toBeNaN();
  });
});

function forward(act: Activation, z: number[], alpha = 0.1, F: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array, rows = 1): number[] {
  const zz = F.from(z);
  const a = new F(z.length);
  activationForward(act, alpha, zz, a, rows, z.length / rows);
  return Array.from(a);
}

function backward(act: Activation, z: number[], g: number[], alpha = 0.1, F: Float64ArrayConstructor | Float32ArrayConstructor = Float64Array, rows = 1): number[] {
  const zz = F.from(z);
  const a = new F(z.length);
  activationForward(act, alpha, zz, a, rows, z.length / rows);
  const dz = new F(z.length);
  activationBackward(act, alpha, zz, a, F.from(g), dz, rows, z.length / rows);
  return Array.from(dz);
}

describe('activation values', () => {
  const z = [1, -2];
  const cases: [Activation, number[]][] = [
    ['linear', [1, -2]],
    ['relu', [1, 0]],
    ['sigmoid', [0.7310585786300049, 0.11920292202211755]],
    ['tanh', [Math.tanh(1), Math.tanh(-2)]],
    ['leakyRelu', [1, -0.2]],
    ['elu', [1, 0.1 * Math.expm1(-2)]],
    ['selu', [SELU_LAMBDA, SELU_LAMBDA * SELU_ALPHA * Math.expm1(-2)]],
    ['gelu', [0.8413447460685429, -0.04550026389635842]],
    ['geluTanh', [0.8411919906082767, -0.04540230591222498]],
    ['softplus', [1.3132616875182228, 0.1269280110429725]],
    ['silu', [0.7310585786300049, -0.23840584404423512]],
    ['hardSigmoid', [1 / 6 + 0.5, -2 / 6 + 0.5]],
    ['mish', [0.8650983882673103, -0.2525014826957089]],
    ['softmax', [Math.exp(3) / (Math.exp(3) + 1), 1 / (Math.exp(3) + 1)]],
  ];
  it.each(cases)('%s at z = 1, −2 (α = 0.1) within 1e-15 relative', (act, expected) => {
    const got = forward(act, z);
    got.forEach((v, i) => expect(rel(v, expected[i]), `${act}(${z[i]})`).toBeLessThanOrEqual(1e-15));
  });
  it('gelu keeps its tail where ½z(1 + erf) would cancel to 0', () => {
    expect(rel(forward('gelu', [-10])[0], -7.619853024160526e-23)).toBeLessThanOrEqual(1e-13);
  });
  it('the list covers all 14 activations', () => expect(cases.map((c) => c[0]).sort()).toEqual([...ACTIVATIONS].sort()));
});

describe('activation derivatives match float64 central differences (eps 1e-6)', () => {
  // Points at least 1e-3 away from the kinks (0 for relu/leakyRelu/elu/selu, ±3 for hardSigmoid).
  const points = [-7.3, -3.2, -2.1, -0.9, -0.31, 0.27, 0.8, 1.7, 2.6, 3.4, 6.1];
  const eps = 1e-6;
  it.each(ACTIVATIONS.filter((a) => a !== 'softmax'))('%s', (act) => {
    const g = points.map((_, i) => 0.5 + 0.1 * i);
    const analytic = backward(act, points, g, 0.3);
    points.forEach((z, i) => {
      const [up] = forward(act, [z + eps], 0.3);
      const [down] = forward(act, [z - eps], 0.3);
      const numeric = (g[i] * (up - down)) / (2 * eps);
      expect(Math.abs(analytic[i] - numeric), `${act}'(${z})`).toBeLessThanOrEqual(1e-8 + 1e-7 * Math.abs(numeric));
    });
  });
  it('softmax: the full row Jacobian-vector product', () => {
    const z = [0.3, -1.2, 2.2, 0.05];
    const g = [0.7, -0.4, 0.1, 1.3];
    const analytic = backward('softmax', z, g);
    z.forEach((_, i) => {
      const up = z.slice();
      up[i] += eps;
      const down = z.slice();
      down[i] -= eps;
      const pu = forward('softmax', up);
      const pd = forward('softmax', down);
      let numeric = 0;
      for (let j = 0; j < z.length; j++) numeric += (g[j] * (pu[j] - pd[j])) / (2 * eps);
      expect(Math.abs(analytic[i] - numeric)).toBeLessThanOrEqual(1e-9);
    });
  });
});

describe('no NaN from finite inputs, NaN propagates', () => {
  const extremes = [0, 1e-8, -1e-8, 20, -20, 88, -88, 89, -89, 100, -100, 1e4, -1e4, 3e38, -3e38, 1e300, -1e300];
  for (const F of [Float64Array, Float32Array]) {
    it.each(ACTIVATIONS)(`%s over ±{0 … 1e300 (float64) / 3e38 (float32)} in ${F.name}: forward and backward not NaN`, (act) => {
      const finite = extremes.filter((v) => Number.isFinite(Math.fround(v)) || F === Float64Array);
      const z = act === 'softmax' ? finite.flatMap((v) => [v, -v, 0]) : finite;
      const rows = act === 'softmax' ? finite.length : 1;
      const g = z.map(() => 1);
      const a = forward(act, z, 0.2, F, rows);
      const dz = backward(act, z, g, 0.2, F, rows);
      a.forEach((v, i) => expect(Number.isNaN(v), `${act}(${z[i]}) = ${v}`).toBe(false));
      dz.forEach((v, i) => expect(Number.isNaN(v), `${act}'(${z[i]}) = ${v}`).toBe(false));
    });
  }
  it('bounded activations stay in range at the extremes', () => {
    for (const act of ['sigmoid', 'hardSigmoid'] as const) {
      for (const v of forward(act, [-1e4, -89, 89, 1e4])) expect(v >= 0 && v <= 1).toBe(true);
    }
    for (const v of forward('tanh', [-1e4, 1e4])) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });
  it.each(ACTIVATIONS)('%s(NaN) is NaN', (act) => {
    expect(forward(act, [NaN])[0]).toBeNaN();
  });
});
