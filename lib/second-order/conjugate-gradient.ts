/**
 * Nonlinear conjugate gradient (Nocedal & Wright, ch. 5.2): d = −g + β·d_prev with β by
 * Fletcher–Reeves, Polak–Ribière (PR+, β ≥ 0) or Hestenes–Stiefel (β ≥ 0); a strong-Wolfe line
 * search with c2 = 0.1 (what FR needs for descent); restart to −g every `restart` iterations and
 * whenever d is not a descent direction. First trial step min(1, 1/‖g‖₁)·lr, then
 * t_prev·(g_prevᵀd_prev)/(gᵀd) (Nocedal & Wright 3.60).
 */
import type { Objective } from './objective.js';
import { LineSearchScratch, strongWolfe } from './line-search.js';
import { like, type Vector, type Vectors } from './vectors.js';
import type { StepReport } from './lbfgs.js';
import { scalar, vector, type MethodState } from './state.js';

export type CgVariant = 'polakRibiere' | 'fletcherReeves' | 'hestenesStiefel';

export interface CgSettings {
  lr: number;
  variant: CgVariant;
  /** Restart every this many iterations (0: only when d is not a descent direction). */
  restart: number;
  maxIter: number;
  toleranceGrad: number;
  toleranceChange: number;
  lineSearch: 'strongWolfe';
}

export class ConjugateGradient {
  private g: Vector | null = null;
  private gPrev: Vector | null = null;
  private d: Vector | null = null;
  private y: Vector | null = null;
  private scratch: LineSearchScratch | null = null;
  private sinceRestart = 0;
  private tPrev = 0;
  private slopePrev = 0;
  private started = false;
  nIter = 0;
  funcEvals = 0;

  constructor(readonly settings: CgSettings) {}

  async step(objective: Objective, vec: Vectors): Promise<StepReport> {
    const s = this.settings;
    const x = objective.params;
    const g = (this.g ??= like(x));
    const gPrev = (this.gPrev ??= like(x));
    const d = (this.d ??= like(x));
    const y = (this.y ??= like(x));
    let loss = await objective.evaluate(g);
    const initialLoss = loss;
    let evaluations = 1;
    this.funcEvals++;
    let gMax = vec.maxAbs(g);
    const report = (reason: StepReport['reason'], iterations: number): StepReport => ({ initialLoss, loss, gradMaxAbs: gMax, gradNorm: Math.sqrt(vec.dot(g, g)), iterations, evaluations, reason });
    for (let iter = 1; iter <= s.maxIter; iter++) {
      if (gMax <= s.toleranceGrad) return report('toleranceGrad', iter - 1);
      this.nIter++;
      let restart = !this.started || (s.restart > 0 && this.sinceRestart >= s.restart);
      if (!restart) {
        const gg = vec.dot(g, g);
        const pp = vec.dot(gPrev, gPrev);
        let beta: number;
        if (s.variant === 'fletcherReeves') beta = gg / pp;
        else {
          y.set(g);
          vec.axpy(-1, gPrev, y);
          const gy = vec.dot(g, y);
          beta = Math.max(0, s.variant === 'polakRibiere' ? gy / pp : gy / vec.dot(d, y));
        }
        if (!Number.isFinite(beta)) restart = true;
        else {
          vec.scale(beta, d);
          vec.axpy(-1, g, d);
          if (vec.dot(g, d) >= 0) restart = true;
        }
      }
      if (restart) {
        d.set(g);
        vec.scale(-1, d);
        this.sinceRestart = 0;
      }
      this.sinceRestart++;
      const gtd = vec.dot(g, d);
      if (gtd > -s.toleranceChange) return report('notDescent', iter - 1);
      const t = !this.started || restart ? Math.min(1, 1 / vec.sumAbs(g)) * s.lr : Math.min(1, (this.tPrev * this.slopePrev) / gtd) * s.lr;
      this.started = true;
      gPrev.set(g);
      const previousLoss = loss;
      const r = await strongWolfe(objective, vec, (this.scratch ??= new LineSearchScratch(x)), d, loss, g, gtd, t, { c2: 0.1, toleranceChange: s.toleranceChange });
      loss = r.f;
      evaluations += r.evaluations;
      this.funcEvals += r.evaluations;
      this.tPrev = r.t;
      this.slopePrev = gtd;
      gMax = vec.maxAbs(g);
      if (gMax <= s.toleranceGrad) return report('toleranceGrad', iter);
      if (vec.maxAbs(d) * Math.abs(r.t) <= s.toleranceChange || Math.abs(loss - previousLoss) < s.toleranceChange) return report('toleranceChange', iter);
    }
    return report('maxIter', s.maxIter);
  }

  exportState(): MethodState {
    const vectors: Record<string, Vector> = {};
    if (this.started && this.gPrev && this.d) {
      vectors.gPrev = this.gPrev.slice();
      vectors.d = this.d.slice();
    }
    return { scalars: { started: this.started ? 1 : 0, sinceRestart: this.sinceRestart, tPrev: this.tPrev, slopePrev: this.slopePrev, nIter: this.nIter, funcEvals: this.funcEvals }, vectors };
  }

  importState(state: MethodState, n: number): void {
    this.started = scalar(state, 'started') === 1;
    this.sinceRestart = scalar(state, 'sinceRestart');
    this.tPrev = scalar(state, 'tPrev');
    this.slopePrev = scalar(state, 'slopePrev');
    this.nIter = scalar(state, 'nIter');
    this.funcEvals = scalar(state, 'funcEvals');
    if (this.started) {
      this.gPrev = vector(state, 'gPrev', n).slice();
      this.d = vector(state, 'd', n).slice();
    }
  }
}
