/**
 * Truncated Newton (Hessian-free, Martens 2010): each iteration solves (H + λI)·p = −g by
 * linear CG on exact Hessian-vector products, to the forcing tolerance
 * ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖ (Eisenstat–Walker / Nocedal & Wright 7.1), stopping early at
 * negative curvature; then a strong-Wolfe line search from t = lr along p, and the
 * Levenberg–Marquardt rule on λ: ρ = actual / predicted reduction, λ·3/2 when ρ < ¼,
 * λ·2/3 when ρ > ¾.
 */
import type { Objective } from './objective.js';
import { LineSearchScratch, strongWolfe } from './line-search.js';
import { like, type Vector, type Vectors } from './vectors.js';
import type { StepReport } from './lbfgs.js';
import { scalar, type MethodState } from './state.js';

export interface NewtonCgSettings {
  lr: number;
  maxIter: number;
  /** CG iterations per Newton iteration. */
  cgMaxIter: number;
  /** Relative CG residual target ‖r‖/‖g‖; default (0) the forcing term min(0.5, √‖g‖). */
  cgTolerance?: number;
  /** Initial λ > 0. */
  damping: number;
  /** Adapt λ by the Levenberg–Marquardt rule. */
  adaptDamping: boolean;
  toleranceGrad: number;
  toleranceChange: number;
}

export class NewtonCg {
  private g: Vector | null = null;
  private p: Vector | null = null;
  private r: Vector | null = null;
  private dir: Vector | null = null;
  private hd: Vector | null = null;
  private scratch: LineSearchScratch | null = null;
  /** Current λ. */
  damping: number;
  nIter = 0;
  funcEvals = 0;
  hessianProducts = 0;

  constructor(readonly settings: NewtonCgSettings) {
    this.damping = settings.damping;
  }

  async step(objective: Objective, vec: Vectors): Promise<StepReport> {
    const s = this.settings;
    if (!objective.hessianVector) throw new TypeError('newtonCg: the objective has no Hessian-vector product');
    const x = objective.params;
    const g = (this.g ??= like(x));
    let loss = await objective.evaluate(g);
    const initialLoss = loss;
    let evaluations = 1;
    this.funcEvals++;
    let gMax = vec.maxAbs(g);
    const report = (reason: StepReport['reason'], iterations: number): StepReport => ({ initialLoss, loss, gradMaxAbs: gMax, gradNorm: Math.sqrt(vec.dot(g, g)), iterations, evaluations, reason });
    for (let iter = 1; iter <= s.maxIter; iter++) {
      if (gMax <= s.toleranceGrad) return report('toleranceGrad', iter - 1);
      this.nIter++;
      const pAp = await this.solve(objective, vec, g);
      const p = this.p!;
      const gtp = vec.dot(g, p);
      if (!(gtp < -s.toleranceChange)) return report('notDescent', iter - 1);
      const previousLoss = loss;
      const ls = await strongWolfe(objective, vec, (this.scratch ??= new LineSearchScratch(x)), p, loss, g, gtp, s.lr, { toleranceChange: s.toleranceChange });
      loss = ls.f;
      evaluations += ls.evaluations;
      this.funcEvals += ls.evaluations;
      gMax = vec.maxAbs(g);
      // The quadratic model's change for the step taken, t·p.
      const predicted = ls.t * gtp + 0.5 * ls.t * ls.t * pAp;
      if (s.adaptDamping && predicted < 0) {
        const rho = (loss - previousLoss) / predicted;
        if (rho < 0.25) this.damping *= 1.5;
        else if (rho > 0.75) this.damping *= 2 / 3;
      }
      if (gMax <= s.toleranceGrad) return report('toleranceGrad', iter);
      if (vec.maxAbs(p) * Math.abs(ls.t) <= s.toleranceChange || Math.abs(loss - previousLoss) < s.toleranceChange) return report('toleranceChange', iter);
    }
    return report('maxIter', s.maxIter);
  }

  /**
   * CG on (H + λI)p = −g from p = 0 into this.p; returns pᵀ(H + λI)p, accumulated from the
   * CG steps (the iterates' directions are conjugate, so it is Σ αₖ²·dₖᵀAdₖ).
   */
  private async solve(objective: Objective, vec: Vectors, g: Vector): Promise<number> {
    const s = this.settings;
    const x = objective.params;
    const p = (this.p ??= like(x));
    const r = (this.r ??= like(x));
    const dir = (this.dir ??= like(x));
    const hd = (this.hd ??= like(x));
    p.fill(0);
    r.set(g);
    vec.scale(-1, r);
    dir.set(r);
    const gNorm = Math.sqrt(vec.dot(g, g));
    const tolerance = (s.cgTolerance || Math.min(0.5, Math.sqrt(gNorm))) * gNorm;
    let rr = vec.dot(r, r);
    let pAp = 0;
    for (let k = 0; k < s.cgMaxIter; k++) {
      await objective.hessianVector!(dir, hd);
      this.hessianProducts++;
      vec.axpy(this.damping, dir, hd);
      const curvature = vec.dot(dir, hd);
      if (curvature <= 0) {
        // Negative curvature: keep what CG has (or steepest descent on the first iteration).
        if (k === 0) {
          p.set(r);
          pAp = curvature;
        }
        break;
      }
      const alpha = rr / curvature;
      vec.axpy(alpha, dir, p);
      vec.axpy(-alpha, hd, r);
      pAp += alpha * alpha * curvature;
      const rrNext = vec.dot(r, r);
      if (Math.sqrt(rrNext) <= tolerance) break;
      vec.scale(rrNext / rr, dir);
      vec.axpy(1, r, dir);
      rr = rrNext;
    }
    return pAp;
  }

  exportState(): MethodState {
    return { scalars: { damping: this.damping, nIter: this.nIter, funcEvals: this.funcEvals, hessianProducts: this.hessianProducts }, vectors: {} };
  }

  importState(state: MethodState): void {
    this.damping = scalar(state, 'damping');
    this.nIter = scalar(state, 'nIter');
    this.funcEvals = scalar(state, 'funcEvals');
    this.hessianProducts = scalar(state, 'hessianProducts');
  }
}
