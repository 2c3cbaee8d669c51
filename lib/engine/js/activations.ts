/**
 * The 14 activations of engine.ts, forward and backward, over `rows` rows of width n.
 * Every value is computed in float64 from the stored operands and rounded once at the store
 * (float32 buffers) or not at all (the float64 reference). No finite input overflows to NaN:
 * exponentials only ever see −|z| where they could overflow, and products that could be ∞·0
 * are guarded. NaN inputs propagate.
 *
 * Numerical choices (the native engine mirrors them up to float32 rounding):
 * - derivatives are computed from the pre-activation z, except relu (from the output a, which
 *   is positive exactly where z is) and softmax (from its output p);
 * - sigmoid′ = e^−|z|/(1 + e^−|z|)², tanh′ = 4e^−2|z|/(1 + e^−2|z|)² (no 1 − a² cancellation);
 * - gelu = ½z·erfc(−z/√2) (= ½z(1 + erf(z/√2)) without cancellation for z ≪ 0), gelu′ = Φ(z) + z·φ(z);
 * - geluTanh = z·sigmoid(2u) (= ½z(1 + tanh u)), u = √(2/π)(z + 0.044715z³);
 * - hardSigmoid = clamp(z/6 + 0.5, 0, 1); relu keeps NaN (max(NaN, 0) = NaN, as PyTorch).
 */
import type { Activation } from '../engine.js';
import type { FloatArray } from './gemm.js';
import { erfc } from './special.js';

export const SELU_LAMBDA = 1.0507009873554805;
export const SELU_ALPHA = 1.6732632423543772;
const INV_SQRT2 = Math.SQRT1_2;
/** 1/√(2π). */
const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π). */
const GELU_TANH_C = 0.7978845608028654;
const GELU_TANH_K = 0.044715;

/** 1/(1 + e^−z), as e^z/(1 + e^z) for z < 0: never overflows. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** sigmoid(z)·(1 − sigmoid(z)) = e^−|z| / (1 + e^−|z|)². */
export function sigmoidSlope(z: number): number {
  const e = Math.exp(-Math.abs(z));
  const d = 1 + e;
  return e / (d * d);
}

/** 1 − tanh²(z) = 4e^−2|z| / (1 + e^−2|z|)². */
export function tanhSlope(z: number): number {
  const e = Math.exp(-2 * Math.abs(z));
  const d = 1 + e;
  return (4 * e) / (d * d);
}

/** max(z, 0) + log1p(e^−|z|). */
export function softplus(z: number): number {
  return (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** Whether the backward pass reads the pre-activation z (else only the output a). */
export function needsPreActivation(act: Activation): boolean {
  return act !== 'linear' && act !== 'relu';
}

/** a = act(z) over rows × n values; a may be z (in place). */
export function activationForward(act: Activation, alpha: number, z: FloatArray, a: FloatArray, rows: number, n: number): void {
  const len = rows * n;
  switch (act) {
    case 'linear':
      if (a !== z) for (let i = 0; i < len; i++) a[i] = z[i];
      return;
    case 'relu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v > 0 || v !== v ? v : 0;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) a[i] = sigmoid(z[i]);
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) a[i] = Math.tanh(z[i]);
      return;
    case 'leakyRelu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v > 0 ? v : alpha * v;
      }
      return;
    case 'elu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v > 0 ? v : alpha * Math.expm1(v);
      }
      return;
    case 'selu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v > 0 ? SELU_LAMBDA * v : SELU_LAMBDA * (SELU_ALPHA * Math.expm1(v));
      }
      return;
    case 'gelu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = 0.5 * v * erfc(-v * INV_SQRT2);
      }
      return;
    case 'geluTanh':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v * sigmoid(2 * GELU_TANH_C * (v + GELU_TANH_K * v * v * v));
      }
      return;
    case 'softplus':
      for (let i = 0; i < len; i++) a[i] = softplus(z[i]);
      return;
    case 'silu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v * sigmoid(v);
      }
      return;
    case 'hardSigmoid':
      for (let i = 0; i < len; i++) {
        const h = z[i] / 6 + 0.5;
        a[i] = h <= 0 ? 0 : h >= 1 ? 1 : h;
      }
      return;
    case 'mish':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        a[i] = v * Math.tanh(softplus(v));
      }
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) softmaxRow(z, a, r * n, n);
      return;
  }
}

/**
 * Numerically stable softmax of one row: p = e^(z − max)/Σ e^(z − max), the exponentials summed
 * in index order in float64. The max is z[o] then each larger z[j] (so a NaN propagates, and
 * a row of −∞ gives NaN, as PyTorch). p may be z.
 */
export function softmaxRow(z: FloatArray, p: FloatArray, o: number, n: number): void {
  let max = z[o];
  for (let j = 1; j < n; j++) if (z[o + j] > max) max = z[o + j];
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[o + j] - max);
  for (let j = 0; j < n; j++) p[o + j] = Math.exp(z[o + j] - max) / sum;
}

/**
 * dz = act′(z) ⊙ g over rows × n values (softmax: dz = p ⊙ (g − Σ g·p) per row, the sum in index
 * order). z is the pre-activation, a the output (needed by relu and softmax); dz may be g.
 */
export function activationBackward(
  act: Activation, alpha: number, z: FloatArray, a: FloatArray, g: FloatArray, dz: FloatArray, rows: number, n: number,
): void {
  const len = rows * n;
  switch (act) {
    case 'linear':
      if (dz !== g) for (let i = 0; i < len; i++) dz[i] = g[i];
      return;
    case 'relu':
      for (let i = 0; i < len; i++) dz[i] = a[i] > 0 ? g[i] : 0;
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) dz[i] = g[i] * sigmoidSlope(z[i]);
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) dz[i] = g[i] * tanhSlope(z[i]);
      return;
    case 'leakyRelu':
      for (let i = 0; i < len; i++) dz[i] = z[i] > 0 ? g[i] : alpha * g[i];
      return;
    case 'elu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        dz[i] = v > 0 ? g[i] : g[i] * (alpha * Math.exp(v));
      }
      return;
    case 'selu':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        dz[i] = v > 0 ? g[i] * SELU_LAMBDA : g[i] * (SELU_LAMBDA * SELU_ALPHA * Math.exp(v));
      }
      return;
    case 'gelu':
      // Φ(z) + z·φ(z); e^(−z²/2) underflows to 0 long before z·φ could be ∞·0.
      for (let i = 0; i < len; i++) {
        const v = z[i];
        dz[i] = g[i] * (0.5 * erfc(-v * INV_SQRT2) + v * (INV_SQRT_2PI * Math.exp(-0.5 * v * v)));
      }
      return;
    case 'geluTanh':
      // d/dz z·σ(2u) = σ(2u) + z·2σ′(2u)·u′; σ′ = 0 where u′ (z²) may overflow: the term is 0 there.
      for (let i = 0; i < len; i++) {
        const v = z[i];
        const u2 = 2 * GELU_TANH_C * (v + GELU_TANH_K * v * v * v);
        const slope = sigmoidSlope(u2);
        const tail = slope === 0 ? 0 : v * 2 * slope * (GELU_TANH_C * (1 + 3 * GELU_TANH_K * v * v));
        dz[i] = g[i] * (sigmoid(u2) + tail);
      }
      return;
    case 'softplus':
      for (let i = 0; i < len; i++) dz[i] = g[i] * sigmoid(z[i]);
      return;
    case 'silu':
      // σ(z) + z·σ(z)·σ(−z).
      for (let i = 0; i < len; i++) {
        const v = z[i];
        const s = sigmoid(v);
        dz[i] = g[i] * (s + v * (s * sigmoid(-v)));
      }
      return;
    case 'hardSigmoid':
      for (let i = 0; i < len; i++) {
        const v = z[i];
        dz[i] = v > -3 && v < 3 ? g[i] / 6 : 0;
      }
      return;
    case 'mish':
      // tanh(sp) + z·sech²(sp)·σ(z), sp = softplus(z) ≥ 0.
      for (let i = 0; i < len; i++) {
        const v = z[i];
        const sp = softplus(v);
        dz[i] = g[i] * (Math.tanh(sp) + v * (tanhSlope(sp) * sigmoid(v)));
      }
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += g[o + j] * a[o + j];
        for (let j = 0; j < n; j++) dz[o + j] = a[o + j] * (g[o + j] - dot);
      }
      return;
  }
}

/** act′(z) of an elementwise activation (softmax excluded), as activationBackward computes it. */
export function activationSlope(act: Activation, alpha: number, z: number): number {
  switch (act) {
    case 'linear':
      return 1;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'sigmoid':
      return sigmoidSlope(z);
    case 'tanh':
      return tanhSlope(z);
    case 'leakyRelu':
      return z > 0 ? 1 : alpha;
    case 'elu':
      return z > 0 ? 1 : alpha * Math.exp(z);
    case 'selu':
      return z > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(z);
    case 'gelu':
      return 0.5 * erfc(-z * INV_SQRT2) + z * (INV_SQRT_2PI * Math.exp(-0.5 * z * z));
    case 'geluTanh': {
      const u2 = 2 * GELU_TANH_C * (z + GELU_TANH_K * z * z * z);
      const slope = sigmoidSlope(u2);
      return sigmoid(u2) + (slope === 0 ? 0 : z * 2 * slope * (GELU_TANH_C * (1 + 3 * GELU_TANH_K * z * z)));
    }
    case 'softplus':
      return sigmoid(z);
    case 'silu': {
      const s = sigmoid(z);
      return s + z * (s * sigmoid(-z));
    }
    case 'hardSigmoid':
      return z > -3 && z < 3 ? 1 / 6 : 0;
    case 'mish': {
      const sp = softplus(z);
      return Math.tanh(sp) + z * (tanhSlope(sp) * sigmoid(z));
    }
    case 'softmax':
      return NaN;
  }
}

/**
 * act″(z) of an elementwise activation (softmax excluded), for Hessian-vector products. Where a
 * first-derivative factor has underflowed to 0 the whole term is 0 (no ∞·0 from a huge z).
 */
export function activationCurvature(act: Activation, alpha: number, z: number): number {
  switch (act) {
    case 'linear':
    case 'relu':
    case 'leakyRelu':
    case 'hardSigmoid':
      return 0;
    case 'sigmoid':
      return sigmoidSlope(z) * (1 - 2 * sigmoid(z));
    case 'tanh':
      return -2 * Math.tanh(z) * tanhSlope(z);
    case 'elu':
      return z > 0 ? 0 : alpha * Math.exp(z);
    case 'selu':
      return z > 0 ? 0 : SELU_LAMBDA * SELU_ALPHA * Math.exp(z);
    case 'gelu': {
      // d/dz (Φ + zφ) = φ·(2 − z²).
      const phi = INV_SQRT_2PI * Math.exp(-0.5 * z * z);
      return phi === 0 ? 0 : phi * (2 - z * z);
    }
    case 'geluTanh': {
      // f = z·σ(w), w = 2√(2/π)(z + 0.044715z³): f″ = 2σ′(w)w′ + z(σ″(w)w′² + σ′(w)w″), σ″ = σ′(1 − 2σ).
      const w = 2 * GELU_TANH_C * (z + GELU_TANH_K * z * z * z);
      const s1 = sigmoidSlope(w);
      if (s1 === 0) return 0;
      const w1 = 2 * GELU_TANH_C * (1 + 3 * GELU_TANH_K * z * z);
      const w2 = 2 * GELU_TANH_C * 6 * GELU_TANH_K * z;
      return 2 * s1 * w1 + z * (s1 * (1 - 2 * sigmoid(w)) * w1 * w1 + s1 * w2);
    }
    case 'softplus':
      return sigmoidSlope(z);
    case 'silu': {
      // f′ = σ + zσ′: f″ = 2σ′ + zσ′(1 − 2σ).
      const s1 = sigmoidSlope(z);
      return s1 === 0 ? 0 : 2 * s1 + z * (s1 * (1 - 2 * sigmoid(z)));
    }
    case 'mish': {
      // f′ = t + z·S·s (t = tanh sp, S = sech² sp, s = σ(z)): f″ = 2Ss + z·S·(σ′(z) − 2t·s²).
      const sp = softplus(z);
      const S = tanhSlope(sp);
      if (S === 0) return 0;
      const s = sigmoid(z);
      return 2 * S * s + z * (S * (sigmoidSlope(z) - 2 * Math.tanh(sp) * s * s));
    }
    case 'softmax':
      return NaN;
  }
}

/** R-operator forward of an activation: Ra = act′(z)·Rz (softmax: Ra = p ⊙ (Rz − Σ p·Rz)). */
export function activationRForward(act: Activation, alpha: number, z: FloatArray, a: FloatArray, rz: FloatArray, ra: FloatArray, rows: number, n: number): void {
  if (act === 'softmax') {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let dot = 0;
      for (let j = 0; j < n; j++) dot += a[o + j] * rz[o + j];
      for (let j = 0; j < n; j++) ra[o + j] = a[o + j] * (rz[o + j] - dot);
    }
    return;
  }
  for (let i = 0, len = rows * n; i < len; i++) ra[i] = activationSlope(act, alpha, z[i]) * rz[i];
}

/**
 * R-operator of the activation's backward: with da = ∂L/∂a and Rda = R{da}, out = R{dz} =
 * act″(z)·Rz·da + act′(z)·Rda (softmax: Rp ⊙ (da − Σp·da) + p ⊙ (Rda − Σ(Rp·da + p·Rda))).
 * out may be Rda.
 */
export function activationRBackward(
  act: Activation, alpha: number, z: FloatArray, a: FloatArray, rz: FloatArray, ra: FloatArray,
  da: FloatArray, rda: FloatArray, out: FloatArray, rows: number, n: number,
): void {
  if (act === 'softmax') {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let s = 0;
      let rs = 0;
      for (let j = 0; j < n; j++) {
        s += a[o + j] * da[o + j];
        rs += ra[o + j] * da[o + j] + a[o + j] * rda[o + j];
      }
      for (let j = 0; j < n; j++) out[o + j] = ra[o + j] * (da[o + j] - s) + a[o + j] * (rda[o + j] - rs);
    }
    return;
  }
  for (let i = 0, len = rows * n; i < len; i++) {
    const v = z[i];
    const curvature = activationCurvature(act, alpha, v);
    out[i] = (curvature === 0 ? 0 : curvature * rz[i] * da[i]) + activationSlope(act, alpha, v) * rda[i];
  }
}
