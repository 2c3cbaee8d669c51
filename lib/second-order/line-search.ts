/**
 * Strong-Wolfe line search with cubic interpolation (Moré–Thuente style bracketing and zoom),
 * with the semantics of PyTorch's torch.optim.lbfgs._strong_wolfe (itself from Torch7's
 * lswolfe.lua): c1 = 1e-4, c2 = 0.9, at most 25 evaluations.
 */
import type { Objective } from './objective.js';
import { like, type Vector, type Vectors } from './vectors.js';

export interface LineSearchOptions {
  c1?: number;
  c2?: number;
  toleranceChange?: number;
  maxEvaluations?: number;
}

export interface LineSearchResult {
  /** Loss at x + t·d. */
  f: number;
  t: number;
  evaluations: number;
}

/** Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clamped to bounds (default [min, max] of x1, x2). */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** Scratch vectors of one line search, allocated once per method. */
export class LineSearchScratch {
  readonly x0: Vector;
  readonly gNew: Vector;
  readonly gPrev: Vector;
  readonly bracketG: [Vector, Vector];
  constructor(template: Vector) {
    this.x0 = like(template);
    this.gNew = like(template);
    this.gPrev = like(template);
    this.bracketG = [like(template), like(template)];
  }
}

/**
 * Searches along d from the current params (loss f, gradient g, slope gtd = gᵀd < 0) starting at
 * step t. On return the objective's params are x0 + t·d for the returned t and `g` holds the
 * gradient there.
 */
export async function strongWolfe(
  objective: Objective,
  vec: Vectors,
  scratch: LineSearchScratch,
  d: Vector,
  f: number,
  g: Vector,
  gtd: number,
  t: number,
  options: LineSearchOptions = {},
): Promise<LineSearchResult> {
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const toleranceChange = options.toleranceChange ?? 1e-9;
  const maxLs = options.maxEvaluations ?? 25;
  const { x0, gNew, gPrev, bracketG } = scratch;
  const x = objective.params;
  x0.set(x);
  const dNorm = vec.maxAbs(d);
  const evaluateAt = async (step: number): Promise<number> => {
    vec.addScaled(x0, step, d, x);
    return await objective.evaluate(gNew);
  };

  let fNew = await evaluateAt(t);
  let evaluations = 1;
  let gtdNew = vec.dot(gNew, d);
  let tPrev = 0;
  let fPrev = f;
  gPrev.set(g);
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  // Bracket as positions, values, slopes; gradients live in bracketG (or g / gNew when noted).
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    const armijoFails = fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev);
    if (!armijoFails && Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketGtd = [gtdNew];
      bracketG[0].set(gNew);
      done = true;
      break;
    }
    if (armijoFails || gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketGtd = [gtdPrev, gtdNew];
      bracketG[0].set(gPrev);
      bracketG[1].set(gNew);
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const previous = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = previous;
    fPrev = fNew;
    gPrev.set(gNew);
    gtdPrev = gtdNew;
    fNew = await evaluateAt(t);
    evaluations++;
    gtdNew = vec.dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketGtd = [gtd, gtdNew];
    bracketG[0].set(g);
    bracketG[1].set(gNew);
  }

  let insufficientProgress = false;
  let low = bracket.length === 1 || bracketF[0] <= bracketF[1] ? 0 : 1;
  let high = 1 - low;
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const bMax = Math.max(bracket[0], bracket[1]);
    const bMin = Math.min(bracket[0], bracket[1]);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufficientProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    fNew = await evaluateAt(t);
    evaluations++;
    gtdNew = vec.dot(gNew, d);
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[low]) {
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketGtd[high] = gtdNew;
      bracketG[high].set(gNew);
      low = bracketF[0] <= bracketF[1] ? 0 : 1;
      high = 1 - low;
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
        bracket[high] = bracket[low];
        bracketF[high] = bracketF[low];
        bracketGtd[high] = bracketGtd[low];
        bracketG[high].set(bracketG[low]);
      }
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketGtd[low] = gtdNew;
      bracketG[low].set(gNew);
    }
  }
  t = bracket[low];
  g.set(bracketG[low]);
  vec.addScaled(x0, t, d, x);
  return { f: bracketF[low], t, evaluations };
}
