// `npx downhill train` end to end, through the built CLI (dist/, built by `npm test` first).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';
import { tryNativeEngine } from '../../lib/engine/select.js';

const bin = fileURLToPath(new URL('../../bin/downhill.js', import.meta.url));
const run = promisify(execFile);

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.each(engineNames())('downhill train --engine %s', (engine) => {
  it('--json prints exactly one JSON document with the documented keys', async () => {
    const { code, stdout } = await cli(['train', '--epochs', '2', '--json', '--engine', engine]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]);
    expect(Object.keys(report).sort()).toEqual(['engine', 'epochs', 'isa', 'samplesPerSecond', 'test', 'threads', 'trainSeconds'].sort());
    expect(report.engine).toBe(engine);
    expect(report.epochs).toHaveLength(2);
    expect(Object.keys(report.epochs[0]).sort()).toEqual(['accuracy', 'epoch', 'loss', 'lr', 'seconds', 'valAccuracy', 'valLoss'].sort());
    expect(Object.keys(report.test).sort()).toEqual(['accuracy', 'f1', 'loss', 'precision', 'recall']);
    expect(report.test.f1).toBeGreaterThan(0.5);
    expect(report.epochs[1].loss).toBeLessThan(report.epochs[0].loss);
    expect(report.samplesPerSecond).toBeGreaterThan(0);
  });

  it('two runs with the same seed print the same losses', async () => {
    const a = JSON.parse((await cli(['--epochs', '1', '--json', '--engine', engine, '--seed', '7'])).stdout);
    const b = JSON.parse((await cli(['--epochs', '1', '--json', '--engine', engine, '--seed', '7'])).stdout);
    expect(b.epochs.map((e: { loss: number }) => e.loss)).toEqual(a.epochs.map((e: { loss: number }) => e.loss));
    expect(b.test).toEqual(a.test);
  });

  it('the defaults (784-256-128-64-10, Adam 1e-3, batch 64, 10 epochs) reach ≥ 94% test accuracy', async () => {
    const { code, stdout } = await cli(['--json', '--engine', engine]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.epochs).toHaveLength(10);
    expect(report.test.accuracy).toBeGreaterThanOrEqual(0.94);
  });

  it('the table output shows each epoch, the test metrics, the throughput and the engine', async () => {
    const { code, stdout } = await cli(['--epochs', '1', '--optimizer', 'sgd', '--layers', '32', '--batch-size', '128', '--engine', engine]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/784-32-10 on MNIST \(7000 train \/ 1500 validation \/ 1500 test\), sgd lr 0.01, batch 128, seed 42/);
    expect(stdout).toMatch(/epoch\s+loss\s+accuracy\s+val loss\s+val acc\s+lr\s+seconds/);
    expect(stdout).toMatch(/^\s+1\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+\d\.\d{4}\s+1\.00e-2\s+\d+\.\d\d$/m);
    expect(stdout).toMatch(/test: loss \d\.\d{4}, accuracy \d+\.\d\d%, precision \d\.\d{4}, recall \d\.\d{4}, F1 \d\.\d{4} \(macro\)/);
    expect(stdout).toMatch(/\d+ samples\/s/);
    expect(stdout).toMatch(new RegExp(`engine: ${engine}, isa \\w+, \\d+ threads?`));
  });
});

describe('downhill command line errors', () => {
  it.each([
    [['--epochs', '0'], /--epochs: expected an integer in \[1, 100000\], received "0"/],
    [['--optimizer', 'adamm'], /--optimizer: expected one of sgd, adam, adamw, adagrad, adadelta, rmsprop, adamax, nadam, radam, lion, lbfgs, conjugateGradient, newtonCg, kfac, received "adamm"/],
    [['--optimizer', 'adam', '--momentum', '0.9'], /--momentum: not an option of adam \(it takes --beta1, --beta2, --eps, --amsgrad\)/],
    [['--optimizer', 'adam', '--beta1', '1'], /--beta1: expected a number in \[0, 1\), received 1/],
    [['--schedule', 'sine'], /--schedule: expected one of constant, step, multistep, exponential, polynomial, cosine, cosine-restarts, warmup-cosine, onecycle, cyclic, plateau, received "sine"/],
    [['--clip-norm', 'big'], /--clip-norm: expected a number, received "big"/],
    [['--validation-split', '1.5'], /--validation-split: expected a number in \(0, 1\), received "1.5"/],
    [['--early-stopping', 'x'], /--early-stopping: expected an integer in \[0, 100000\], received "x"/],
    [['--layers', '256,x'], /--layers: expected an integer in \[1, 16777216\], received "x"/],
    [['--lr', 'fast'], /--lr: expected a number > 0, received "fast"/],
    [['--engine', 'gpu'], /--engine: expected auto, native or js, received "gpu"/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('%j exits with code 2 and says why', async (args, message) => {
    const { code, stderr, stdout } = await cli(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});

// Flag handling, not engine behaviour: once per `npm test` (skipped in the forced-js pass when
// the native engine ran it already).
const nativeRan = process.env.DOWNHILL_ENGINE === 'js' && tryNativeEngine().engine !== undefined;
describe.skipIf(nativeRan)('downhill train --optimizer X works for every optimizer', () => {
  const engine = engineNames()[0];
  const all = ['sgd', 'adam', 'adamw', 'adagrad', 'adadelta', 'rmsprop', 'adamax', 'nadam', 'radam', 'lion'];
  it.each(all)('%s', async (name) => {
    const { code, stdout } = await cli(['--optimizer', name, '--epochs', '2', '--layers', '32', '--batch-size', '128', '--json', '--engine', engine]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.epochs[1].loss).toBeLessThan(report.epochs[0].loss);
    expect(report.test.accuracy).toBeGreaterThan(0.5);
  });

  it('with hyper-parameters, a schedule, clipping, early stopping and a validation split', async () => {
    const { code, stdout } = await cli([
      '--optimizer', 'sgd', '--lr', '0.05', '--momentum', '0.8', '--nesterov', '--weight-decay', '1e-4', '--clip-norm', '5',
      '--schedule', 'warmup-cosine', '--early-stopping', '2', '--validation-split', '0.2',
      '--epochs', '3', '--layers', '32', '--batch-size', '128', '--json', '--engine', engine,
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.epochs.length).toBeGreaterThanOrEqual(1);
    expect(report.epochs[0].lr).toBeLessThan(0.05); // warming up
    expect(report.test.accuracy).toBeGreaterThan(0.5);
  });
});
