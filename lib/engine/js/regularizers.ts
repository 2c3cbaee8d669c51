/**
 * Keras-style L1/L2 regularization of dense layers. The loss term of a layer is
 * kernelL1·Σ|W| + kernelL2·ΣW² + biasL1·Σ|b| + biasL2·Σb², each sum in index order in float64;
 * a float64 running total gains, layer by layer in order, (kernelL1·Σ|W| + kernelL2·ΣW²) and then
 * (biasL1·Σ|b| + biasL2·Σb²); a zero coefficient contributes
 * nothing (its sum is not computed, so an ∞ weight times 0 is not NaN). Every dense layer
 * counts, trainable or not (the term is a function of the parameters); only trainable layers
 * get the gradient l1·sign(w) + 2·l2·w (sign(0) = 0), added in float64 to the data gradient and
 * rounded once at the store.
 */
import type { DenseSpec } from '../engine.js';
import type { FloatArray } from './gemm.js';

/** A dense layer with some regularization, and where its W and b live in the arena. */
export interface Regularized {
  spec: DenseSpec;
  wOff: number;
  bOff: number;
}

export function hasRegularization(spec: DenseSpec): boolean {
  return spec.kernelL1 !== 0 || spec.kernelL2 !== 0 || (spec.useBias && (spec.biasL1 !== 0 || spec.biasL2 !== 0));
}

function term(params: FloatArray, start: number, end: number, l1: number, l2: number): number {
  let t = 0;
  if (l1 !== 0) {
    let s = 0;
    for (let i = start; i < end; i++) s += Math.abs(params[i]);
    t += l1 * s;
  }
  if (l2 !== 0) {
    let s = 0;
    for (let i = start; i < end; i++) s += params[i] * params[i];
    t += l2 * s;
  }
  return t;
}

/** The regularization term of the loss. */
export function regularizationLoss(layers: readonly Regularized[], params: FloatArray): number {
  let total = 0;
  for (const { spec, wOff, bOff } of layers) {
    total += term(params, wOff, bOff, spec.kernelL1, spec.kernelL2);
    if (spec.useBias) total += term(params, bOff, bOff + spec.units, spec.biasL1, spec.biasL2);
  }
  return total;
}

function addGrad(params: FloatArray, grads: FloatArray, start: number, end: number, l1: number, l2: number): void {
  if (l1 === 0 && l2 === 0) return;
  const twoL2 = 2 * l2;
  for (let i = start; i < end; i++) {
    const w = params[i];
    const sign = w > 0 ? 1 : w < 0 ? -1 : 0;
    grads[i] += l1 * sign + twoL2 * w;
  }
}

/** Adds the regularization gradient of the trainable layers to grads. */
export function addRegularizationGrad(layers: readonly Regularized[], params: FloatArray, grads: FloatArray): void {
  for (const { spec, wOff, bOff } of layers) {
    if (!spec.trainable) continue;
    addGrad(params, grads, wOff, bOff, spec.kernelL1, spec.kernelL2);
    if (spec.useBias) addGrad(params, grads, bOff, bOff + spec.units, spec.biasL1, spec.biasL2);
  }
}

/** Adds the regularization term's Hessian-vector product to hv: 2·l2·v (trainable layers; L1 adds 0). */
export function addRegularizationCurvature(layers: readonly Regularized[], v: FloatArray, hv: FloatArray): void {
  for (const { spec, wOff, bOff } of layers) {
    if (!spec.trainable) continue;
    if (spec.kernelL2 !== 0) for (let i = wOff; i < bOff; i++) hv[i] += 2 * spec.kernelL2 * v[i];
    if (spec.useBias && spec.biasL2 !== 0) for (let i = bOff; i < bOff + spec.units; i++) hv[i] += 2 * spec.biasL2 * v[i];
  }
}
