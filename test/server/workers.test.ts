// worker_threads and process exit: training in several threads at once, workers terminated
// mid-fit, process.exit and SIGTERM during fit. A crash shows as a signal, not a lost test.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function train(options: Record<string, unknown>): { worker: Worker; result: Promise<{ hash: string }> } {
  const worker = new Worker(fixture('worker-train.mjs'), { workerData: options });
  const result = new Promise<{ hash: string }>((resolve, reject) => {
    worker.on('message', (m) => 'hash' in m && resolve(m));
    worker.once('error', reject);
  });
  return { worker, result };
}

describe.each(engineNames())('%s engine in worker threads', (engine) => {
  it('the main thread and two workers train at once with the results of a lone run', async () => {
    const reference = JSON.parse((await run(process.execPath, [fixture('worker-train.mjs'), JSON.stringify({ engine })])).stdout);
    const a = train({ engine });
    const b = train({ engine });
    const main = JSON.parse((await run(process.execPath, [fixture('worker-train.mjs'), JSON.stringify({ engine })])).stdout);
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(ra.hash).toBe(reference.hash);
    expect(rb.hash).toBe(reference.hash);
    expect(main.hash).toBe(reference.hash);
  });

  it('terminating a worker mid-fit leaves the process and the other workers unharmed', async () => {
    const victim = train({ engine, epochs: 100, rows: 4000, notify: true });
    const survivor = train({ engine });
    await new Promise((resolve) => victim.worker.once('message', resolve));
    await victim.worker.terminate();
    expect((await survivor.result).hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('process.exit() during fit exits cleanly: code 0, no signal', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, [fixture('worker-train.mjs'), JSON.stringify({ engine, epochs: 100, rows: 4000, exitMidFit: true })]);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('SIGTERM during fit ends the process by that signal, promptly, without a crash', async () => {
    const child = spawn(process.execPath, [fixture('worker-train.mjs'), JSON.stringify({ engine, epochs: 100, rows: 4000, notify: true })]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const sent = Date.now();
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(signal).toBe('SIGTERM');
    expect(code).toBeNull();
  });
});

describe.runIf(engineNames().includes('native'))('native addon loaded only in workers', () => {
  it('survives 50 cycles of a worker terminated mid-fit', async () => {
    const child = spawn(process.execPath, [fixture('worker-churn.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(out).toMatch(/survived/);
  }, 120_000);

  // A worker terminated while its JS is inside a binding call that throws: the env can no
  // longer take the exception, which node-addon-api used to turn into a C++ exception out of
  // the callback (SIGABRT, "terminate called after throwing an instance of 'Napi::Error'").
  it('survives 40 workers terminated while binding calls are throwing', async () => {
    const child = spawn(process.execPath, [fixture('worker-throw-churn.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(out).toMatch(/survived/);
  }, 120_000);
});
