/**
 * An independent float64 reference of a Plan's loss, gradient, outputs and batchNorm
 * statistics, written straight from lib/engine/engine.ts's doc comments (not sharing code
 * with either engine), for the native engine's tests: small, plain, slow.
 */
import { dropoutBits, dropoutKey, dropoutThreshold, layerOffsets, lossFusedWithActivation, outputSize, paramCount, trainableRanges, type Activation, type LayerSpec, type PlanSpec } from '../../lib/engine/engine.js';

export interface RefOptions {
  weights?: ArrayLike<number> | null;
  training?: boolean;
  step?: number;
}

export interface RefResult {
  loss: number;
  grads: Float64Array;
  /** n × outputs: the network output o of each indexed row. */
  outputs: Float64Array;
  correct: number;
  /** batchNorm layers (by index) in training: the batch mean and biased variance. */
  batchStats: Map<number, { mean: Float64Array; variance: Float64Array }>;
  /** Dense layers (by index): their input rows and δ = ∂loss/∂z rows (for K-FAC's factors). */
  dense: Map<number, { x: Float64Array; dz: Float64Array }>;
}

const SELU_L = 1.0507009873554805;
const SELU_A = 1.6732632423543772;

/** erf to ~1e-13: Taylor series below 3, the continued fraction of erfc above. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let t = a;
    for (let n = 80; n >= 1; n--) t = a + n / 2 / t;
    r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * t);
  }
  return x < 0 ? -r : r;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

export function act(a: Activation, alpha: number, z: number): number {
  switch (a) {
    case 'linear': return z;
    case 'relu': return Math.max(z, 0);
    case 'sigmoid': return sigmoid(z);
    case 'tanh': return Math.tanh(z);
    case 'leakyRelu': return z > 0 ? z : alpha * z;
    case 'elu': return z > 0 ? z : alpha * Math.expm1(z);
    case 'selu': return SELU_L * (z > 0 ? z : SELU_A * Math.expm1(z));
    case 'gelu': return 0.5 * z * (1 + erf(z / Math.SQRT2));
    case 'geluTanh': return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
    case 'softplus': return softplus(z);
    case 'silu': return z * sigmoid(z);
    case 'hardSigmoid': return Math.min(Math.max(z / 6 + 0.5, 0), 1);
    case 'mish': return z * Math.tanh(softplus(z));
    case 'softmax': throw new Error('softmax is per row');
  }
}

export function actDerivative(a: Activation, alpha: number, z: number): number {
  switch (a) {
    case 'linear': return 1;
    case 'relu': return z > 0 ? 1 : 0;
    case 'sigmoid': { const s = sigmoid(z); return s * (1 - s); }
    case 'tanh': { const t = Math.tanh(z); return 1 - t * t; }
    case 'leakyRelu': return z > 0 ? 1 : alpha;
    case 'elu': return z > 0 ? 1 : alpha * Math.exp(z);
    case 'selu': return z > 0 ? SELU_L : SELU_L * SELU_A * Math.exp(z);
    case 'gelu': return 0.5 * (1 + erf(z / Math.SQRT2)) + (z * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI);
    case 'geluTanh': {
      const c = Math.sqrt(2 / Math.PI);
      const t = Math.tanh(c * (z + 0.044715 * z ** 3));
      return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z);
    }
    case 'softplus': return sigmoid(z);
    case 'silu': { const s = sigmoid(z); return s * (1 + z * (1 - s)); }
    case 'hardSigmoid': return z > -3 && z < 3 ? 1 / 6 : 0;
    case 'mish': { const t = Math.tanh(softplus(z)); return t + z * sigmoid(z) * (1 - t * t); }
    case 'softmax': throw new Error('softmax is per row');
  }
}

function softmaxRow(z: Float64Array): Float64Array {
  const mx = Math.max(...z);
  const e = z.map((v) => Math.exp(v - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Forward of a whole activation (softmax per row) over rows × k values. */
function actRows(a: Activation, alpha: number, z: Float64Array, k: number): Float64Array {
  if (a !== 'softmax') return z.map((v) => act(a, alpha, v));
  const o = new Float64Array(z.length);
  for (let r = 0; r < z.length / k; r++) o.set(softmaxRow(z.subarray(r * k, r * k + k)), r * k);
  return o;
}

/** dL/dz from dL/do. */
function actBackRows(a: Activation, alpha: number, z: Float64Array, o: Float64Array, g: Float64Array, k: number): Float64Array {
  if (a !== 'softmax') return g.map((v, i) => v * actDerivative(a, alpha, z[i]));
  const dz = new Float64Array(g.length);
  for (let r = 0; r < g.length / k; r++) {
    let dot = 0;
    for (let j = 0; j < k; j++) dot += g[r * k + j] * o[r * k + j];
    for (let j = 0; j < k; j++) dz[r * k + j] = o[r * k + j] * (g[r * k + j] - dot);
  }
  return dz;
}

interface Cache {
  x: Float64Array;
  z?: Float64Array;
  y: Float64Array;
  xhat?: Float64Array;
  invstd?: Float64Array;
  mask?: Float64Array;
}

/** The loss of one row and dL/d(o or z) (engine.ts LossSpec). */
function rowLoss(spec: PlanSpec, o: Float64Array, z: Float64Array | null, t: Float64Array): { l: number; g: Float64Array } {
  const k = o.length;
  const { kind, fromLogits, labelSmoothing: eps, delta } = spec.loss;
  const g = new Float64Array(k);
  let l = 0;
  switch (kind) {
    case 'meanSquaredError':
      for (let j = 0; j < k; j++) { const d = o[j] - t[j]; l += d * d; g[j] = (2 * d) / k; }
      return { l: l / k, g };
    case 'meanAbsoluteError':
      for (let j = 0; j < k; j++) { const d = o[j] - t[j]; l += Math.abs(d); g[j] = Math.sign(d) / k; }
      return { l: l / k, g };
    case 'huber':
      for (let j = 0; j < k; j++) {
        const d = o[j] - t[j];
        const q = Math.abs(d) <= delta;
        l += q ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
        g[j] = (q ? d : delta * Math.sign(d)) / k;
      }
      return { l: l / k, g };
    case 'logCosh':
      for (let j = 0; j < k; j++) {
        const d = o[j] - t[j];
        l += Math.abs(d) + Math.log1p(Math.exp(-2 * Math.abs(d))) - Math.LN2;
        g[j] = Math.tanh(d) / k;
      }
      return { l: l / k, g };
    case 'poisson':
      for (let j = 0; j < k; j++) {
        if (fromLogits) { l += Math.exp(o[j]) - t[j] * o[j]; g[j] = (Math.exp(o[j]) - t[j]) / k; }
        else { l += o[j] - t[j] * Math.log(o[j] + 1e-8); g[j] = (1 - t[j] / (o[j] + 1e-8)) / k; }
      }
      return { l: l / k, g };
    case 'hinge':
    case 'squaredHinge':
      for (let j = 0; j < k; j++) {
        const s = t[j] > 0 ? 1 : -1;
        const m = 1 - s * o[j];
        const h = Math.max(0, m);
        l += kind === 'hinge' ? h : h * h;
        g[j] = m > 0 ? (kind === 'hinge' ? -s : -2 * s * m) / k : 0;
      }
      return { l: l / k, g };
    case 'categoricalHinge': {
      let pos = 0;
      let jmax = 0;
      let neg = -Infinity;
      for (let j = 0; j < k; j++) {
        pos += t[j] * o[j];
        const v = (1 - t[j]) * o[j];
        if (v > neg) { neg = v; jmax = j; }
      }
      l = Math.max(0, neg - pos + 1);
      if (l > 0) for (let j = 0; j < k; j++) g[j] = (j === jmax ? 1 - t[j] : 0) - t[j];
      return { l, g };
    }
    case 'kullbackLeiblerDivergence':
      for (let j = 0; j < k; j++) {
        if (t[j] > 0) l += t[j] * (Math.log(t[j]) - Math.log(Math.max(o[j], 1e-7)));
        g[j] = t[j] > 0 && o[j] > 1e-7 ? -t[j] / o[j] : 0;
      }
      return { l, g };
    case 'binaryCrossentropy':
      if (fromLogits || z) {
        const x = z ?? o;
        for (let j = 0; j < k; j++) {
          l += Math.max(x[j], 0) - x[j] * t[j] + Math.log1p(Math.exp(-Math.abs(x[j])));
          g[j] = (sigmoid(x[j]) - t[j]) / k;
        }
      } else {
        for (let j = 0; j < k; j++) {
          l += -(t[j] * Math.max(Math.log(o[j]), -100) + (1 - t[j]) * Math.max(Math.log(1 - o[j]), -100));
          g[j] = (o[j] - t[j]) / Math.max(o[j] * (1 - o[j]), 1e-12) / k;
        }
      }
      return { l: l / k, g };
    case 'categoricalCrossentropy': {
      const q = t.map((v) => (1 - eps) * v + eps / k);
      if (fromLogits || z) {
        const x = z ?? o;
        const mx = Math.max(...x);
        const lse = mx + Math.log(x.reduce((s, v) => s + Math.exp(v - mx), 0));
        const p = softmaxRow(x);
        const qs = q.reduce((a, b) => a + b, 0);
        for (let j = 0; j < k; j++) { l -= q[j] * (x[j] - lse); g[j] = p[j] * qs - q[j]; }
      } else {
        for (let j = 0; j < k; j++) { l -= q[j] * Math.log(Math.max(o[j], 1e-7)); g[j] = o[j] > 1e-7 ? -q[j] / o[j] : 0; }
      }
      return { l, g };
    }
  }
}

function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let j = 1; j < v.length; j++) if (v[j] > v[b]) b = j;
  return b;
}

/**
 * Loss over `indices` (Σ w·l / Σ w + regularization), its gradient (0 outside trainableRanges),
 * the outputs and the rows right: what lossAndGrad (training or not) and evaluate compute.
 */
export function refLossAndGrad(spec: PlanSpec, params: ArrayLike<number>, x: ArrayLike<number>, y: Int32Array | Float32Array, indices: ArrayLike<number>, opts: RefOptions = {}): RefResult {
  const training = opts.training ?? true;
  const step = opts.step ?? 0;
  const n = indices.length;
  const k = outputSize(spec);
  const offs = layerOffsets(spec);
  const P = Float64Array.from(params);
  const grads = new Float64Array(paramCount(spec));
  let h = new Float64Array(n * spec.inputSize);
  for (let r = 0; r < n; r++) for (let j = 0; j < spec.inputSize; j++) h[r * spec.inputSize + j] = x[indices[r] * spec.inputSize + j];
  const fused = lossFusedWithActivation(spec);
  const caches: Cache[] = [];
  const batchStats = new Map<number, { mean: Float64Array; variance: Float64Array }>();
  spec.layers.forEach((layer: LayerSpec, li: number) => {
    const din = layer.inputs;
    const u = layer.units;
    const c: Cache = { x: h, y: h };
    const off = offs[li];
    if (layer.kind === 'dense' || layer.kind === 'activation') {
      let z = h;
      if (layer.kind === 'dense') {
        z = new Float64Array(n * u);
        for (let r = 0; r < n; r++) for (let j = 0; j < u; j++) {
          let s = layer.useBias ? P[off + din * u + j] : 0;
          for (let i = 0; i < din; i++) s += h[r * din + i] * P[off + i * u + j];
          z[r * u + j] = s;
        }
      }
      c.z = z;
      c.y = actRows(layer.activation, layer.alpha, z, u);
    } else if (layer.kind === 'dropout') {
      if (training) {
        const key = dropoutKey(spec.seed, step, li);
        const thr = dropoutThreshold(layer.rate);
        const scale = Math.fround(1 / (1 - layer.rate));
        c.mask = new Float64Array(n * u);
        for (let e = 0; e < n * u; e++) c.mask[e] = dropoutBits(key, e) >= thr ? scale : 0;
        c.y = h.map((v, e) => v * c.mask![e]);
      }
    } else {
      const gamma = P.subarray(off, off + u);
      const beta = P.subarray(off + u, off + 2 * u);
      const xhat = new Float64Array(n * u);
      if (layer.kind === 'batchNorm') {
        const invstd = new Float64Array(u);
        const mean = new Float64Array(u);
        const variance = new Float64Array(u);
        for (let j = 0; j < u; j++) {
          let mu: number;
          let v: number;
          if (training) {
            mu = 0;
            for (let r = 0; r < n; r++) mu += h[r * u + j];
            mu /= n;
            v = 0;
            for (let r = 0; r < n; r++) v += (h[r * u + j] - mu) ** 2;
            v /= n;
          } else {
            mu = P[off + 2 * u + j];
            v = P[off + 3 * u + j];
          }
          mean[j] = mu;
          variance[j] = v;
          invstd[j] = 1 / Math.sqrt(v + layer.eps);
          for (let r = 0; r < n; r++) xhat[r * u + j] = (h[r * u + j] - mu) * invstd[j];
        }
        if (training) batchStats.set(li, { mean, variance });
        c.invstd = invstd;
      } else {
        const invstd = new Float64Array(n);
        for (let r = 0; r < n; r++) {
          let mu = 0;
          for (let j = 0; j < u; j++) mu += h[r * u + j];
          mu /= u;
          let v = 0;
          for (let j = 0; j < u; j++) v += (h[r * u + j] - mu) ** 2;
          v /= u;
          invstd[r] = 1 / Math.sqrt(v + layer.eps);
          for (let j = 0; j < u; j++) xhat[r * u + j] = (h[r * u + j] - mu) * invstd[r];
        }
        c.invstd = invstd;
      }
      c.xhat = xhat;
      c.y = xhat.map((v, e) => gamma[e % u] * v + beta[e % u]);
    }
    caches.push(c);
    h = c.y;
  });

  // Loss.
  const w = opts.weights;
  let wsum = 0;
  for (let r = 0; r < n; r++) wsum += w ? w[indices[r]] : 1;
  let sum = 0;
  let correct = 0;
  const L = spec.layers.length;
  const last = caches[L - 1];
  let g = new Float64Array(n * k);
  const lossKind = spec.loss.kind;
  const theta = lossKind === 'hinge' || lossKind === 'squaredHinge' || spec.loss.fromLogits ? 0 : 0.5;
  for (let r = 0; r < n; r++) {
    const t = new Float64Array(k);
    if (y instanceof Int32Array) t[y[indices[r]]] = 1;
    else for (let j = 0; j < k; j++) t[j] = y[indices[r] * k + j];
    const o = last.y.subarray(r * k, r * k + k);
    const res = rowLoss(spec, o, fused ? last.z!.subarray(r * k, r * k + k) : null, t);
    const wr = w ? w[indices[r]] : 1;
    sum += wr * res.l;
    for (let j = 0; j < k; j++) g[r * k + j] = wsum > 0 ? (res.g[j] * wr) / wsum : 0;
    const right = k === 1 ? o[0] > theta === t[0] > 0.5 : argmax(o) === argmax(t);
    if (right) correct++;
  }
  let loss = wsum > 0 ? sum / wsum : 0;

  // Backward.
  const dense = new Map<number, { x: Float64Array; dz: Float64Array }>();
  for (let li = L - 1; li >= 0; li--) {
    const layer = spec.layers[li];
    const c = caches[li];
    const off = offs[li];
    const u = layer.units;
    const din = layer.inputs;
    if (layer.kind === 'dense' || layer.kind === 'activation') {
      const dz = li === L - 1 && fused ? g : actBackRows(layer.activation, layer.alpha, c.z!, c.y, g, u);
      if (layer.kind === 'activation') { g = dz; continue; }
      dense.set(li, { x: c.x, dz });
      for (let i = 0; i < din; i++) for (let j = 0; j < u; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += c.x[r * din + i] * dz[r * u + j];
        grads[off + i * u + j] = s;
      }
      if (layer.useBias) for (let j = 0; j < u; j++) { let s = 0; for (let r = 0; r < n; r++) s += dz[r * u + j]; grads[off + din * u + j] = s; }
      const dx = new Float64Array(n * din);
      for (let r = 0; r < n; r++) for (let i = 0; i < din; i++) {
        let s = 0;
        for (let j = 0; j < u; j++) s += dz[r * u + j] * P[off + i * u + j];
        dx[r * din + i] = s;
      }
      g = dx;
    } else if (layer.kind === 'dropout') {
      if (c.mask) g = g.map((v, e) => v * c.mask![e]);
    } else {
      const gamma = P.subarray(off, off + u);
      const dx = new Float64Array(n * u);
      for (let j = 0; j < u; j++) {
        let db = 0;
        let dg = 0;
        for (let r = 0; r < n; r++) { db += g[r * u + j]; dg += g[r * u + j] * c.xhat![r * u + j]; }
        grads[off + j] = dg;
        grads[off + u + j] = db;
      }
      if (layer.kind === 'batchNorm') {
        for (let j = 0; j < u; j++) {
          const dg = grads[off + j];
          const db = grads[off + u + j];
          for (let r = 0; r < n; r++) {
            const e = r * u + j;
            dx[e] = training ? gamma[j] * c.invstd![j] * (g[e] - db / n - (c.xhat![e] * dg) / n) : g[e] * gamma[j] * c.invstd![j];
          }
        }
      } else {
        for (let r = 0; r < n; r++) {
          let s1 = 0;
          let s2 = 0;
          for (let j = 0; j < u; j++) { const d = g[r * u + j] * gamma[j]; s1 += d; s2 += d * c.xhat![r * u + j]; }
          for (let j = 0; j < u; j++) {
            const d = g[r * u + j] * gamma[j];
            dx[r * u + j] = c.invstd![r] * (d - s1 / u - (c.xhat![r * u + j] * s2) / u);
          }
        }
      }
      g = dx;
    }
  }

  // Regularization (every dense layer's loss term; gradients of trainable ones).
  spec.layers.forEach((layer, li) => {
    if (layer.kind !== 'dense') return;
    const off = offs[li];
    const nw = layer.inputs * layer.units;
    const term = (start: number, len: number, l1: number, l2: number) => {
      for (let i = start; i < start + len; i++) {
        loss += l1 * Math.abs(P[i]) + l2 * P[i] * P[i];
        grads[i] += l1 * Math.sign(P[i]) + 2 * l2 * P[i];
      }
    };
    term(off, nw, layer.kernelL1, layer.kernelL2);
    if (layer.useBias) term(off + nw, layer.units, layer.biasL1, layer.biasL2);
  });
  // Gradients outside the trainable ranges are 0.
  const masked = new Float64Array(grads.length);
  for (const [s, e] of trainableRanges(spec)) masked.set(grads.subarray(s, e), s);
  return { loss, grads: masked, outputs: last.y, correct, batchStats, dense };
}
