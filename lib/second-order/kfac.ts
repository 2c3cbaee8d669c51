/**
 * K-FAC natural gradient for dense layers (Martens & Grosse 2015; the empirical-Fisher variant):
 * per dense layer the Fisher block is approximated by A ⊗ G, A = E[āāᵀ] over the layer inputs
 * (with a 1 for the bias), G = E[ggᵀ] over the per-row gradients of its pre-activation. Factors
 * are refreshed every `updateFreq` steps as a moving average (decay `statDecay`), their damped
 * inverses every `invFreq` steps with factored Tikhonov damping (π-balanced, √λ split between
 * the two factors); the step is U = (A + π√λI)⁻¹·[∇W; ∇b]·(G + √λ/π·I)⁻¹, scaled by KL clipping
 * ν = min(1, √(κ / (lr²·Σ⟨U, ∇⟩))), with heavy-ball momentum. Other trainable parameters
 * (normalisation layers) take the plain gradient.
 */
import type { LayerSpec } from '../engine/engine.js';
import { layerOffsets, trainableRanges } from '../engine/engine.js';
import type { Objective } from './objective.js';
import type { StepReport } from './lbfgs.js';
import { like, type Vector, type Vectors } from './vectors.js';
import { scalar, vector, type MethodState } from './state.js';

export interface KfacSettings {
  lr: number;
  momentum: number;
  /** λ > 0. */
  damping: number;
  updateFreq: number;
  invFreq: number;
  statDecay: number;
  /** κ of the KL clipping; 0 turns it off. */
  klClip: number;
  weightDecay: number;
}

interface Block {
  offset: number;
  /** Rows of the gradient block: inputs (+ 1 with a bias). */
  d: number;
  units: number;
  trainable: boolean;
  a: Float32Array;
  g: Float32Array;
  aNew: Float32Array;
  gNew: Float32Array;
  aInv: Float32Array;
  gInv: Float32Array;
  tmp: Float32Array;
  out: Float32Array;
}

export class Kfac {
  private readonly blocks: Block[] = [];
  private readonly ranges: Array<[number, number]>;
  private grad: Vector | null = null;
  private update: Vector | null = null;
  private momentumBuffer: Vector | null = null;
  private haveFactors = false;
  /** Steps taken. */
  steps = 0;
  /** Steps where the damped factors were not positive definite (the previous inverses were kept). */
  inverseFailures = 0;

  constructor(
    readonly settings: KfacSettings,
    layers: readonly LayerSpec[],
  ) {
    const offsets = layerOffsets({ layers: layers as LayerSpec[] });
    layers.forEach((l, i) => {
      if (l.kind !== 'dense') return;
      const d = l.inputs + (l.useBias ? 1 : 0);
      const u = l.units;
      this.blocks.push({
        offset: offsets[i], d, units: u, trainable: l.trainable,
        a: new Float32Array(d * d), g: new Float32Array(u * u), aNew: new Float32Array(d * d), gNew: new Float32Array(u * u),
        aInv: new Float32Array(d * d), gInv: new Float32Array(u * u), tmp: new Float32Array(d * u), out: new Float32Array(d * u),
      });
    });
    this.ranges = trainableRanges({ layers: layers as LayerSpec[] });
  }

  async step(objective: Objective, vec: Vectors): Promise<StepReport> {
    const s = this.settings;
    const x = objective.params;
    const grad = (this.grad ??= like(x));
    const update = (this.update ??= like(x));
    const buf = (this.momentumBuffer ??= like(x));
    const refresh = this.steps % s.updateFreq === 0;
    const loss = await objective.evaluate(grad, refresh ? { a: this.blocks.map((b) => b.aNew), g: this.blocks.map((b) => b.gNew) } : undefined);
    if (refresh) this.mixFactors();
    if (this.steps % s.invFreq === 0 || !this.haveFactors) this.invert(vec);
    this.haveFactors = true;
    this.steps++;
    if (s.weightDecay > 0) vec.axpy(s.weightDecay, x, grad);

    // Plain gradient everywhere, then the natural gradient over each dense block.
    update.set(grad);
    for (const b of this.blocks) {
      if (!b.trainable) continue;
      const v = grad.subarray(b.offset, b.offset + b.d * b.units) as Float32Array;
      vec.matmul(false, false, b.d, b.units, b.d, b.aInv, v, b.tmp);
      vec.matmul(false, false, b.d, b.units, b.units, b.tmp, b.gInv, b.out);
      update.set(b.out, b.offset);
    }
    let nu = 1;
    if (s.klClip > 0) {
      const inner = vec.dot(update, grad) * s.lr * s.lr;
      if (inner > 0) nu = Math.min(1, Math.sqrt(s.klClip / inner));
    }
    // buf = μ·buf + ν·U; θ −= lr·buf, over the trainable ranges only.
    vec.scale(s.momentum, buf);
    vec.axpy(nu, update, buf);
    for (const [start, end] of this.ranges) vec.axpy(-s.lr, buf.subarray(start, end), x.subarray(start, end));
    return { initialLoss: loss, loss, gradMaxAbs: vec.maxAbs(grad), gradNorm: Math.sqrt(vec.dot(grad, grad)), iterations: 1, evaluations: 1, reason: 'maxIter' };
  }

  exportState(): MethodState {
    const vectors: Record<string, Vector> = {};
    if (this.momentumBuffer) vectors.momentumBuffer = this.momentumBuffer.slice();
    if (this.haveFactors) {
      this.blocks.forEach((b, i) => {
        vectors[`a.${i}`] = b.a.slice();
        vectors[`g.${i}`] = b.g.slice();
        vectors[`aInv.${i}`] = b.aInv.slice();
        vectors[`gInv.${i}`] = b.gInv.slice();
      });
    }
    return { scalars: { steps: this.steps, haveFactors: this.haveFactors ? 1 : 0, inverseFailures: this.inverseFailures }, vectors };
  }

  importState(state: MethodState, n: number): void {
    this.steps = scalar(state, 'steps');
    this.haveFactors = scalar(state, 'haveFactors') === 1;
    this.inverseFailures = scalar(state, 'inverseFailures');
    this.momentumBuffer = 'momentumBuffer' in state.vectors ? vector(state, 'momentumBuffer', n).slice() : null;
    if (this.haveFactors) {
      this.blocks.forEach((b, i) => {
        b.a.set(vector(state, `a.${i}`, b.a.length));
        b.g.set(vector(state, `g.${i}`, b.g.length));
        b.aInv.set(vector(state, `aInv.${i}`, b.aInv.length));
        b.gInv.set(vector(state, `gInv.${i}`, b.gInv.length));
      });
    }
  }

  private mixFactors(): void {
    const decay = this.haveFactors ? this.settings.statDecay : 0;
    for (const b of this.blocks) {
      for (let i = 0; i < b.a.length; i++) b.a[i] = decay * b.a[i] + (1 - decay) * b.aNew[i];
      for (let i = 0; i < b.g.length; i++) b.g[i] = decay * b.g[i] + (1 - decay) * b.gNew[i];
    }
  }

  private invert(vec: Vectors): void {
    const sqrtLambda = Math.sqrt(this.settings.damping);
    for (const b of this.blocks) {
      if (!b.trainable) continue;
      let trA = 0;
      for (let i = 0; i < b.d; i++) trA += b.a[i * b.d + i];
      let trG = 0;
      for (let i = 0; i < b.units; i++) trG += b.g[i * b.units + i];
      let pi = Math.sqrt(trA / b.d / (trG / b.units));
      if (!Number.isFinite(pi) || pi <= 0) pi = 1;
      const okA = vec.spdInverse(b.a, b.d, pi * sqrtLambda, b.aInv);
      const okG = vec.spdInverse(b.g, b.units, sqrtLambda / pi, b.gInv);
      if (!okA || !okG) this.inverseFailures++;
      // Before any successful inverse, fall back to the damping alone (a scaled gradient step).
      if (!okA && !this.haveFactors) identityInverse(b.aInv, b.d, pi * sqrtLambda);
      if (!okG && !this.haveFactors) identityInverse(b.gInv, b.units, sqrtLambda / pi);
    }
  }
}

function identityInverse(out: Float32Array, n: number, damping: number): void {
  out.fill(0);
  for (let i = 0; i < n; i++) out[i * n + i] = 1 / damping;
}
