/** The optimizer, schedule and callbacks of `downhill train`, from its flags. */
import { createOptimizer, optimizerNames } from '../optim/index.js';
import type { Optimizer } from '../optim/optimizer.js';
import { schedules, type Schedule } from '../schedules/index.js';
import { UsageError } from './data-source.js';

/** Schedules the CLI offers, each with defaults sized from the run (epochs, steps per epoch, lr). */
export const CLI_SCHEDULES = ['constant', 'step', 'multistep', 'exponential', 'polynomial', 'cosine', 'cosine-restarts', 'warmup-cosine', 'onecycle', 'cyclic', 'plateau'] as const;
export type CliSchedule = (typeof CLI_SCHEDULES)[number];

/** Optimizer hyper-parameters from flags (only the ones given; the factory applies its defaults). */
export interface OptimizerFlags {
  lr?: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  nesterov?: boolean;
  amsgrad?: boolean;
  centered?: boolean;
  clipNorm?: number;
  clipValue?: number;
}

/** Which flags each optimizer understands (others are a usage error, not silently ignored). */
const ACCEPTS: Record<string, (keyof OptimizerFlags)[]> = {
  sgd: ['momentum', 'nesterov'],
  adam: ['beta1', 'beta2', 'eps', 'amsgrad'],
  adamw: ['beta1', 'beta2', 'eps', 'amsgrad'],
  adagrad: ['eps'],
  adadelta: ['eps'],
  rmsprop: ['momentum', 'eps', 'centered'],
  adamax: ['beta1', 'beta2', 'eps'],
  nadam: ['beta1', 'beta2', 'eps'],
  radam: ['beta1', 'beta2', 'eps'],
  lion: ['beta1', 'beta2'],
  lbfgs: [],
  conjugateGradient: [],
  newtonCg: [],
  kfac: ['momentum'],
};

const flagName = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Builds the optimizer (sgd without --momentum uses momentum 0.9, as before). */
export function cliOptimizer(name: string, flags: OptimizerFlags): Optimizer {
  if (!(optimizerNames as string[]).includes(name)) throw new UsageError(`--optimizer: expected one of ${optimizerNames.join(', ')}, received ${JSON.stringify(name)}`);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (!['lr', 'weightDecay', 'clipNorm', 'clipValue', ...ACCEPTS[name]].includes(key)) throw new UsageError(`${flagName(key)}: not an option of ${name} (it takes ${ACCEPTS[name].map(flagName).join(', ') || 'only the common flags'})`);
    options[key] = value;
  }
  if (name === 'sgd' && options.momentum === undefined) options.momentum = 0.9;
  try {
    return createOptimizer(name, options);
  } catch (err) {
    // "sgd(options.momentum): expected …" → "--momentum: expected …"
    const m = /^\w+\(options\.(\w+)\): (.*)$/.exec((err as Error).message);
    throw new UsageError(m ? `${flagName(m[1])}: ${m[2]}` : (err as Error).message);
  }
}

/** The schedule for `--schedule NAME`, sized from the run. */
export function cliSchedule(name: string, run: { epochs: number; stepsPerEpoch: number; lr: number }): Schedule {
  if (!(CLI_SCHEDULES as readonly string[]).includes(name)) throw new UsageError(`--schedule: expected one of ${CLI_SCHEDULES.join(', ')}, received ${JSON.stringify(name)}`);
  const total = run.epochs * run.stepsPerEpoch;
  const third = Math.max(1, Math.floor(run.epochs / 3));
  switch (name as CliSchedule) {
    case 'constant':
      return schedules.constant();
    case 'step':
      return schedules.stepDecay({ stepSize: third, gamma: 0.5, unit: 'epoch' });
    case 'multistep':
      return schedules.multiStep({ milestones: [...new Set([Math.max(1, Math.floor(run.epochs / 2)), Math.max(2, Math.floor((3 * run.epochs) / 4))])].sort((a, b) => a - b), unit: 'epoch' });
    case 'exponential':
      return schedules.exponential({ gamma: 0.9, unit: 'epoch' });
    case 'polynomial':
      return schedules.polynomial({ totalSteps: total });
    case 'cosine':
      return schedules.cosine({ totalSteps: total });
    case 'cosine-restarts':
      return schedules.cosineWarmRestarts({ t0: run.stepsPerEpoch, tMult: 2 });
    case 'warmup-cosine':
      return schedules.warmup({ warmupSteps: run.stepsPerEpoch, then: schedules.cosine({ totalSteps: Math.max(1, total - run.stepsPerEpoch) }) });
    case 'onecycle':
      return schedules.oneCycle({ totalSteps: Math.max(2, total) });
    case 'cyclic':
      return schedules.cyclic({ baseLr: run.lr / 10, maxLr: run.lr, stepSizeUp: run.stepsPerEpoch });
    case 'plateau':
      return schedules.reduceLrOnPlateau({ monitor: 'valLoss', patience: 1, factor: 0.5 });
  }
}
