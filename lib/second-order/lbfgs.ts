/**
 * L-BFGS with PyTorch's torch.optim.LBFGS semantics: one `step` runs up to maxIter iterations
 * (two-loop recursion over the last historySize curvature pairs, first step scaled by
 * min(1, 1/‖g‖₁)·lr, optional strong-Wolfe line search) and stops on tolerance_grad (max |g|),
 * tolerance_change (step or loss change) or maxEval evaluations. State carries over between
 * steps, as PyTorch's does.
 */
import type { Objective } from './objective.js';
import { LineSearchScratch, strongWolfe } from './line-search.js';
import { like, type Vector, type Vectors } from './vectors.js';
import { scalar, vector, type MethodState } from './state.js';

export interface LbfgsSettings {
  lr: number;
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearch: 'strongWolfe' | 'none';
}

export interface StepReport {
  /** Loss at the parameters the step started from (PyTorch's return value). */
  initialLoss: number;
  /** Loss at the parameters the step ended on (when known: the last evaluation). */
  loss: number;
  /** max |g| at the end (of the last gradient evaluated). */
  gradMaxAbs: number;
  /** ‖g‖₂ at the end. */
  gradNorm: number;
  iterations: number;
  evaluations: number;
  /** Why the step ended. */
  reason: 'maxIter' | 'maxEval' | 'toleranceGrad' | 'toleranceChange' | 'notDescent';
}

export class Lbfgs {
  private d: Vector | null = null;
  private t = 0;
  private readonly dirs: Vector[] = [];
  private readonly stps: Vector[] = [];
  private readonly ro: number[] = [];
  private hDiag = 1;
  private prevGrad: Vector | null = null;
  private prevLoss = 0;
  /** Iterations over all steps (PyTorch's state['n_iter']). */
  nIter = 0;
  funcEvals = 0;
  private g: Vector | null = null;
  private q: Vector | null = null;
  private scratch: LineSearchScratch | null = null;
  private readonly al: number[] = [];

  constructor(readonly settings: LbfgsSettings) {}

  async step(objective: Objective, vec: Vectors): Promise<StepReport> {
    const s = this.settings;
    const x = objective.params;
    const g = (this.g ??= like(x));
    let loss = await objective.evaluate(g);
    const initialLoss = loss;
    let currentEvals = 1;
    this.funcEvals++;
    let gMax = vec.maxAbs(g);
    const report = (reason: StepReport['reason'], iterations: number): StepReport => ({ initialLoss, loss, gradMaxAbs: gMax, gradNorm: Math.sqrt(vec.dot(g, g)), iterations, evaluations: currentEvals, reason });
    if (gMax <= s.toleranceGrad) return report('toleranceGrad', 0);

    const d = (this.d ??= like(x));
    const q = (this.q ??= like(x));
    let nIter = 0;
    while (nIter < s.maxIter) {
      nIter++;
      this.nIter++;
      if (this.nIter === 1) {
        d.set(g);
        vec.scale(-1, d);
        this.dirs.length = this.stps.length = this.ro.length = 0;
        this.hDiag = 1;
      } else {
        // y = g − g_prev (into q), s = t·d.
        q.set(g);
        vec.axpy(-1, this.prevGrad!, q);
        const ys = this.t * vec.dot(q, d);
        if (ys > 1e-10) {
          let yVec: Vector;
          let sVec: Vector;
          if (this.dirs.length === s.historySize) {
            yVec = this.dirs.shift()!;
            sVec = this.stps.shift()!;
            this.ro.shift();
          } else {
            yVec = like(x);
            sVec = like(x);
          }
          yVec.set(q);
          sVec.set(d);
          vec.scale(this.t, sVec);
          this.dirs.push(yVec);
          this.stps.push(sVec);
          this.ro.push(1 / ys);
          this.hDiag = ys / vec.dot(yVec, yVec);
        }
        twoLoop(vec, g, this.stps, this.dirs, this.ro, this.hDiag, q, d, this.al);
      }
      (this.prevGrad ??= like(x)).set(g);
      this.prevLoss = loss;
      this.t = this.nIter === 1 ? Math.min(1, 1 / vec.sumAbs(g)) * s.lr : s.lr;
      const gtd = vec.dot(g, d);
      if (gtd > -s.toleranceChange) return report('notDescent', nIter);

      let lsEvals = 0;
      if (s.lineSearch === 'strongWolfe') {
        const r = await strongWolfe(objective, vec, (this.scratch ??= new LineSearchScratch(x)), d, loss, g, gtd, this.t, { toleranceChange: s.toleranceChange });
        loss = r.f;
        this.t = r.t;
        lsEvals = r.evaluations;
        gMax = vec.maxAbs(g);
      } else {
        vec.axpy(this.t, d, x);
        if (nIter !== s.maxIter) {
          loss = await objective.evaluate(g);
          lsEvals = 1;
          gMax = vec.maxAbs(g);
        }
      }
      currentEvals += lsEvals;
      this.funcEvals += lsEvals;
      if (nIter === s.maxIter) return report('maxIter', nIter);
      if (currentEvals >= s.maxEval) return report('maxEval', nIter);
      if (gMax <= s.toleranceGrad) return report('toleranceGrad', nIter);
      if (vec.maxAbs(d) * Math.abs(this.t) <= s.toleranceChange) return report('toleranceChange', nIter);
      if (Math.abs(loss - this.prevLoss) < s.toleranceChange) return report('toleranceChange', nIter);
    }
    return report('maxIter', nIter);
  }

  /** Curvature pairs currently held. */
  get historyLength(): number {
    return this.dirs.length;
  }

  /** Everything a later step depends on (PyTorch's state dict: d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss, n_iter, func_evals). */
  exportState(): MethodState {
    const vectors: Record<string, Vector> = {};
    if (this.d) vectors.d = this.d.slice();
    if (this.prevGrad) vectors.prevFlatGrad = this.prevGrad.slice();
    this.dirs.forEach((v, i) => (vectors[`oldDirs.${i}`] = v.slice()));
    this.stps.forEach((v, i) => (vectors[`oldStps.${i}`] = v.slice()));
    const scalars: Record<string, number> = { t: this.t, hDiag: this.hDiag, prevLoss: this.prevLoss, nIter: this.nIter, funcEvals: this.funcEvals, history: this.dirs.length };
    this.ro.forEach((r, i) => (scalars[`ro.${i}`] = r));
    return { scalars, vectors };
  }

  importState(state: MethodState, n: number): void {
    const history = scalar(state, 'history');
    if (!Number.isInteger(history) || history < 0 || history > this.settings.historySize) throw new TypeError(`optimizer state: 'history' must be an integer in [0, ${this.settings.historySize}]`);
    this.t = scalar(state, 't');
    this.hDiag = scalar(state, 'hDiag');
    this.prevLoss = scalar(state, 'prevLoss');
    this.nIter = scalar(state, 'nIter');
    this.funcEvals = scalar(state, 'funcEvals');
    this.d = 'd' in state.vectors ? vector(state, 'd', n).slice() : null;
    this.prevGrad = 'prevFlatGrad' in state.vectors ? vector(state, 'prevFlatGrad', n).slice() : null;
    this.dirs.length = this.stps.length = this.ro.length = 0;
    for (let i = 0; i < history; i++) {
      this.dirs.push(vector(state, `oldDirs.${i}`, n).slice());
      this.stps.push(vector(state, `oldStps.${i}`, n).slice());
      this.ro.push(scalar(state, `ro.${i}`));
    }
  }
}

/**
 * The two-loop recursion (Nocedal & Wright, Alg. 7.4): d = −H·g for the L-BFGS inverse-Hessian
 * approximation H built from pairs (sᵢ, yᵢ), oldest first, ρᵢ = 1/(yᵢᵀsᵢ), H₀ = hDiag·I.
 * q is scratch; al holds one number per pair.
 */
export function twoLoop(vec: Vectors, g: Vector, stps: Vector[], dirs: Vector[], ro: number[], hDiag: number, q: Vector, d: Vector, al: number[]): void {
  const m = dirs.length;
  q.set(g);
  vec.scale(-1, q);
  for (let i = m - 1; i >= 0; i--) {
    al[i] = vec.dot(stps[i], q) * ro[i];
    vec.axpy(-al[i], dirs[i], q);
  }
  d.set(q);
  vec.scale(hDiag, d);
  for (let i = 0; i < m; i++) {
    const be = vec.dot(dirs[i], d) * ro[i];
    vec.axpy(al[i] - be, stps[i], d);
  }
}
