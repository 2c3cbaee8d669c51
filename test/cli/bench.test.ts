// `downhill bench`: the JSON schema on a tiny run, and the --out chart and Markdown table.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownTable, trainBars } from '../../lib/cli/bench-report.js';
import type { BenchResult } from '../../lib/cli/bench.js';
import { Participant } from '../../lib/cli/bench-channel.js';
import { alternate, concurrentLane } from '../../lib/cli/bench-interleave.js';
import { loadAddon } from '../../lib/engine/binding.js';

const bin = fileURLToPath(new URL('../../bin/downhill.js', import.meta.url));
const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'downhill-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('downhill bench', () => {
  it('--json prints { machine, gemm, train, predict } rows with the documented keys; --out writes the chart and table', async () => {
    const out = join(root, 'b');
    const { stdout } = await run(process.execPath, [bin, 'bench', '--quick', '--runs', '1', '--threads', '1', '--json', '--out', out], { maxBuffer: 1 << 24 });
    const res = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(res.machine).toHaveProperty('cores');
    for (const key of ['engine', 'batch', 'threads', 'samplesPerSecond']) expect(res.train[0]).toHaveProperty(key);
    expect(res.train.some((r: { engine: string }) => r.engine === 'js')).toBe(true);
    expect(res.train.every((r: { samplesPerSecond: number }) => r.samplesPerSecond > 0)).toBe(true);
    if (res.gemm.length > 0) {
      for (const key of ['m', 'n', 'k', 'transA', 'transB', 'threads', 'gflops']) expect(res.gemm[0]).toHaveProperty(key);
      for (const key of ['engine', 'batch', 'mode', 'ms']) expect(res.predict[0]).toHaveProperty(key);
    }
    expect(readFileSync(join(out, 'bench-train.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<path/);
    expect(readFileSync(join(out, 'bench.md'), 'utf8')).toMatch(/^\| trainer \| batch 32 \| batch 128 \| batch 512 \|/);
  }, 120_000);
});

describe.skipIf(!loadAddon().addon)('bench participant (bench --serve)', () => {
  it('answers info and one GEMM sample per request, and reports a bad request as an error without ending', async () => {
    const who = new Participant('native 1t', process.execPath, [bin, 'bench', '--serve'], { ...process.env, DOWNHILL_THREADS: '1', DOWNHILL_ENGINE: 'native' });
    try {
      expect(await who.request({ kind: 'info' })).toMatchObject({ threads: 1 });
      const shape = { m: 8, n: 8, k: 8, transA: false, transB: true, label: 'tiny' };
      for (let i = 0; i < 2; i++) expect(await who.request({ kind: 'gemm', shape })).toBeGreaterThan(0);
      await expect(who.request({ kind: 'nonsense' })).rejects.toThrow(/unknown request/);
      expect(await who.request({ kind: 'gemm', shape })).toBeGreaterThan(0);
    } finally {
      await who.close();
    }
    expect(who.ended).toBe('exited with code 0');
  }, 60_000);
});

describe('independent processes at once (concurrentLane)', () => {
  // A stand-in participant: answers `rate` after `ms`, and records how many requests were in flight.
  const inFlight = { now: 0, most: 0 };
  const member = (rates: number[], ms: number) => ({
    request: async () => {
      inFlight.most = Math.max(inFlight.most, ++inFlight.now);
      await new Promise((r) => setTimeout(r, ms));
      inFlight.now--;
      return rates.shift();
    },
  });

  it('sends each request to every member at once and counts members × the slowest rate', async () => {
    const l = concurrentLane('2×1t', [member([100, 90], 20), member([80, 120], 5)], { kind: 'train' });
    await alternate([l], 2);
    expect(inFlight.most).toBe(2);
    expect(l.values).toEqual([160, 180]);
  });

  it('records a member that fails as the lane error', async () => {
    const l = concurrentLane('2×1t', [member([100], 1), { request: async () => Promise.reject(new Error('exited with code 1')) }], {});
    await alternate([l], 1);
    expect(l.values).toEqual([]);
    expect(l.error).toBe('exited with code 1');
  });
});

describe('bench report', () => {
  const res = {
    machine: { cpu: 'test', cores: 2 },
    gemm: [],
    predict: [],
    train: [
      { engine: 'native', isa: 'avx2', batch: 128, threads: 1, samplesPerSecond: 100, min: 90, max: 110 },
      { engine: 'native', isa: 'avx2', batch: 128, threads: 2, samplesPerSecond: 180, min: 170, max: 190 },
      { engine: 'js', isa: 'js', batch: 128, threads: 1, samplesPerSecond: 10, min: 9, max: 11 },
    ],
    peers: {
      skipped: [],
      tfjs: { version: '4', train: [{ backend: 'tfjs-cpu', batch: 128, samplesPerSecond: 1, min: 1, max: 1 }, { backend: 'tfjs-wasm', batch: 128, samplesPerSecond: 5, min: 5, max: 5 }] },
      torch: { version: '1', train: [{ setting: 'intra2', threads: 2, batch: 128, samplesPerSecond: 99, min: 0, max: 0 }, { setting: 'intra1-blas2', threads: 2, batch: 128, samplesPerSecond: 50, min: 0, max: 0 }], predict: [] },
    },
  } as unknown as BenchResult;

  it('takes downhill at its best thread count and PyTorch at its best 2-core setting (not the oversubscribed one)', () => {
    expect(trainBars(res)).toEqual([
      { trainer: 'downhill native', batch: 128, samplesPerSecond: 180 },
      { trainer: 'downhill TS', batch: 128, samplesPerSecond: 10 },
      { trainer: 'PyTorch (CPU)', batch: 128, samplesPerSecond: 50 },
      { trainer: 'TensorFlow.js WASM', batch: 128, samplesPerSecond: 5 },
      { trainer: 'TensorFlow.js CPU', batch: 128, samplesPerSecond: 1 },
    ]);
  });

  it('renders a Markdown table, one row per trainer', () => {
    expect(markdownTable(trainBars(res))).toBe(
      ['| trainer | batch 128 |', '|---|---:|', '| downhill native | 180 |', '| downhill TS | 10 |', '| PyTorch (CPU) | 50 |', '| TensorFlow.js WASM | 5 |', '| TensorFlow.js CPU | 1 |'].join('\n'),
    );
  });
});
