// TESTING O8: every schedule's rates against PyTorch lr_scheduler (test/fixtures/optim/
// generate.py, 1000 steps, base lr 0.1), state saved and restored mid-run, bad options.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schedules, type Schedule } from '../../lib/schedules/index.js';

interface Case { name: string; schedule: string; options: Record<string, unknown>; lrs: number[]; metrics?: number[] }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim/schedules.json', import.meta.url), 'utf8')) as { baseLr: number; cases: Case[] };

function build(c: Case): Schedule {
  if (c.schedule === 'warmup') {
    const { warmupSteps, startFactor, then } = c.options as { warmupSteps: number; startFactor: number; then: { schedule: string; totalSteps: number } };
    return schedules.warmup({ warmupSteps, startFactor, then: schedules.byName(then.schedule, { totalSteps: then.totalSteps }) });
  }
  return schedules.byName(c.schedule, c.options);
}

/** Rates of steps 0..n−1 (plateau: one step per epoch, fed its metric after each). */
function rates(s: Schedule, c: Case, from = 0, to = c.lrs.length): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    out.push(s.lrAt(i, i, fixture.baseLr));
    if (c.metrics) s.onEpochEnd!({ valLoss: c.metrics[i], loss: 1 });
  }
  return out;
}

describe('schedules match PyTorch lr_scheduler (abs ≤ 1e-12)', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const got = rates(build(c), c);
    got.forEach((v, i) => expect(Math.abs(v - c.lrs[i]), `step ${i}: ${v} vs ${c.lrs[i]}`).toBeLessThanOrEqual(1e-12));
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: state restored in the middle continues the same sequence', (_name, c) => {
    const half = Math.floor(c.lrs.length / 2);
    const first = build(c);
    rates(first, c, 0, half);
    const saved = JSON.parse(JSON.stringify(first.stateDict()));
    const second = build(c);
    second.loadStateDict(saved);
    const rest = rates(second, c, half);
    rest.forEach((v, i) => expect(Math.abs(v - c.lrs[half + i])).toBeLessThanOrEqual(1e-12));
  });
});

describe('schedule details', () => {
  it('schedules default to the optimizer lr and count epochs with unit "epoch"', () => {
    const s = schedules.stepDecay({ stepSize: 2, gamma: 0.5, unit: 'epoch' });
    expect([0, 1, 2, 3, 4].map((e) => s.lrAt(e * 100, e, 0.4))).toEqual([0.4, 0.4, 0.2, 0.2, 0.1]);
    expect(schedules.constant({ lr: 0.3 }).lrAt(7, 0, 1)).toBe(0.3);
  });

  it('warmup composes in front of any schedule', () => {
    const s = schedules.warmup({ warmupSteps: 4, then: schedules.exponential({ gamma: 0.5 }) });
    expect([0, 1, 2, 3, 4, 5, 6].map((t) => s.lrAt(t, 0, 1))).toEqual([0, 0.25, 0.5, 0.75, 1, 0.5, 0.25]);
    const plain = schedules.warmup({ warmupSteps: 2, startFactor: 0.5 });
    expect([0, 1, 2, 9].map((t) => plain.lrAt(t, 0, 0.2))).toEqual([0.1, 0.15000000000000002, 0.2, 0.2]);
  });

  it('cosine and oneCycle hold their final rate after totalSteps', () => {
    expect(schedules.cosine({ totalSteps: 10, minLr: 0.01 }).lrAt(50, 0, 1)).toBe(0.01);
    const one = schedules.oneCycle({ maxLr: 1, totalSteps: 100 });
    expect(one.lrAt(500, 0, 1)).toBeCloseTo(1 / 25 / 1e4, 15);
  });

  it.each([
    ['an unknown schedule', () => schedules.byName('linearish'), RangeError, /^schedules\.byName\(name\): expected one of 'constant', 'stepDecay', .*'reduceLrOnPlateau', received string "linearish"$/],
    ['stepSize 0', () => schedules.stepDecay({ stepSize: 0 }), RangeError, /^schedules\.stepDecay\(options\.stepSize\): expected an integer ≥ 1, received 0$/],
    ['a missing gamma', () => schedules.exponential({} as never), TypeError, /^schedules\.exponential\(options\.gamma\): expected a number, received undefined$/],
    ['a negative lr', () => schedules.cosine({ totalSteps: 10, lr: -1 }), RangeError, /^schedules\.cosine\(options\.lr\): expected a number > 0, received -1$/],
    ['decreasing milestones', () => schedules.multiStep({ milestones: [5, 3] }), RangeError, /^schedules\.multiStep\(options\.milestones\)\[1\]: expected an integer ≥ 6, received 3$/],
    ['an unknown mode', () => schedules.cyclic({ maxLr: 1, mode: 'sine' as never }), RangeError, /^schedules\.cyclic\(options\.mode\): expected one of 'triangular', 'triangular2', 'exp_range', received string "sine"$/],
    ['a plateau factor of 1', () => schedules.reduceLrOnPlateau({ factor: 1 }), RangeError, /^schedules\.reduceLrOnPlateau\(options\.factor\): expected a number in \[0, 1\), received 1$/],
    ['warmup then a non-schedule', () => schedules.warmup({ warmupSteps: 3, then: 5 as never }), TypeError, /^schedules\.warmup\(options\.then\): expected a schedule/],
    ['an unknown option', () => schedules.cosine({ totalSteps: 3, T_max: 4 } as never), TypeError, /^schedules\.cosine\(options\): unknown option 'T_max'/],
    ['a bad unit', () => schedules.constant({ unit: 'batch' as never }), RangeError, /^schedules\.constant\(options\.unit\): expected one of 'step', 'epoch', received string "batch"$/],
  ])('%s fails at construction with its message', (_n, make, cls, message) => {
    expect(make).toThrow(cls as ErrorConstructor);
    expect(make).toThrow(message as RegExp);
  });
});
