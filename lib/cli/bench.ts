/**
 * `downhill bench`: GEMM GFLOP/s, train samples/s and predict latency of the seed network
 * (784-256-128-64-10, Adam), native engine at 1 and 2 threads and the pure-TS engine, all
 * in one run; with `--peers`, OpenBLAS sgemm and PyTorch on the same shapes, network and
 * batches, with the ratios. A readable table by default, one JSON document with `--json`.
 * Never asserted anywhere, only printed (see bench/README.md for how to read it).
 *
 * The native pool's size is fixed when the addon loads (DOWNHILL_THREADS), so each native
 * thread count is a child process (`bench --serve`) started with it; those and the peers'
 * processes are sampled in alternation (bench-interleave.ts).
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { tryNativeEngine } from '../engine/select.js';
import { loadAddon } from '../engine/binding.js';
import { measurePredict, type GemmRow, type IndependentRow, type PredictRow, type TrainRow } from './bench-measure.js';
import { measureInterleaved } from './bench-interleave.js';
import type { Peers } from './bench-peers.js';
import { serve } from './bench-serve.js';
import { writeBenchReport } from './bench-report.js';
import { formatHeader, formatRow, type Column } from './table.js';

const TRAIN_BATCHES = [1, 32, 128, 512];
const PREDICT_BATCHES = [1, 128];

interface Ratio {
  what: string;
  downhill: number;
  peer: number;
  ratio: number;
  /** Target from issue 3 where it sets one (ratio ≥ target, or for ms: ratio of times). */
  target?: number;
}

export interface BenchResult {
  machine: Record<string, unknown>;
  gemm: GemmRow[];
  train: TrainRow[];
  predict: PredictRow[];
  /** N single-thread native trainers at once (with `--threads` 1 and N > 1). */
  independent?: IndependentRow[];
  peers?: Peers;
  ratios?: Ratio[];
}

function ratios(res: BenchResult): Ratio[] {
  const out: Ratio[] = [];
  const peers = res.peers;
  const seedTarget = (label: string) => (label === 'square' ? undefined : 1.0);
  if (peers?.openblas) {
    for (const g of res.gemm) {
      const p = peers.openblas.gemm.find((q) => q.m === g.m && q.n === g.n && q.k === g.k && q.transA === g.transA && q.transB === g.transB && q.threads === g.threads);
      if (!p) continue;
      const target = g.label === 'square' ? (g.m >= 1024 ? 0.95 : undefined) : seedTarget(g.label);
      out.push({ what: `gemm ${g.m}x${g.n}x${g.k}${g.transA ? ' Aᵀ' : ''}${g.transB ? ' Bᵀ' : ''} (${g.label}), ${g.threads}t vs OpenBLAS`, downhill: g.gflops, peer: p.gflops, ratio: g.gflops / p.gflops, target });
    }
  }
  const train = (b: number, t: number) => res.train.find((r) => r.engine === 'native' && r.batch === b && r.threads === t);
  if (peers?.torch) {
    const trainTargets: Record<number, number> = { 32: 3, 128: 2, 512: 1.2 };
    for (const p of peers.torch.train) {
      if (p.setting === 'intra2') continue;
      const d = train(p.batch, p.threads);
      if (d) out.push({ what: `train batch ${p.batch}, ${p.threads}t vs PyTorch ${p.setting} (samples/s)`, downhill: d.samplesPerSecond, peer: p.samplesPerSecond, ratio: d.samplesPerSecond / p.samplesPerSecond, target: p.threads === 2 ? trainTargets[p.batch] : undefined });
    }
    for (const p of peers.torch.predict) {
      if (p.setting !== 'intra1-blas2') continue;
      for (const mode of ['sync', 'async'] as const) {
        const d = res.predict.find((r) => r.engine === 'native' && r.batch === p.batch && r.threads === 2 && r.mode === mode);
        // The target compares like with like: PyTorch's forward runs on the calling thread, as
        // predictSync does; await predict adds the hop to a job thread and back (~0.05–0.1 ms here).
        if (d) out.push({ what: `predict batch ${p.batch} ${mode}, 2t vs PyTorch ${p.setting} (speed-up: torch ms / ours)`, downhill: d.ms, peer: p.ms, ratio: p.ms / d.ms, target: p.batch === 128 && mode === 'sync' ? 2 : undefined });
      }
    }
  }
  if (peers?.tfjs) {
    // Issue 9: the TS engine at ≥ 10× TensorFlow.js CPU and ≥ 1× its WASM backend at batch 128.
    const tfjsTargets: Record<string, number> = { 'tfjs-cpu': 10, 'tfjs-wasm': 1 };
    for (const p of peers.tfjs.train) {
      const d = res.train.find((r) => r.engine === 'js' && r.batch === p.batch);
      if (d) out.push({ what: `train batch ${p.batch}: downhill TS vs TensorFlow.js ${p.backend.slice(5)} (samples/s)`, downhill: d.samplesPerSecond, peer: p.samplesPerSecond, ratio: d.samplesPerSecond / p.samplesPerSecond, target: p.batch === 128 ? tfjsTargets[p.backend] : undefined });
    }
  }
  for (const b of TRAIN_BATCHES) {
    const one = train(b, 1);
    const two = train(b, 2);
    if (one && two) out.push({ what: `train batch ${b}: 2 threads / 1 thread`, downhill: two.samplesPerSecond, peer: one.samplesPerSecond, ratio: two.samplesPerSecond / one.samplesPerSecond, target: b === 512 ? 1.8 : undefined });
    // The scaling's ceiling on this machine: two independent 1-thread processes at once, and how
    // much of it one 2-thread process gets.
    const pair = res.independent?.find((r) => r.batch === b && r.processes === 2);
    if (one && pair) out.push({ what: `train batch ${b}: 2 independent 1-thread processes at once / 1 thread`, downhill: pair.samplesPerSecond, peer: one.samplesPerSecond, ratio: pair.samplesPerSecond / one.samplesPerSecond });
    if (two && pair) out.push({ what: `train batch ${b}: 2 threads / 2 independent 1-thread processes at once`, downhill: two.samplesPerSecond, peer: pair.samplesPerSecond, ratio: two.samplesPerSecond / pair.samplesPerSecond });
  }
  return out;
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);
const range = (min: number, max: number, digits = 1) => `${min.toFixed(digits)}–${max.toFixed(digits)}`;

function printTables(res: BenchResult, runs: number): void {
  const w = (s: string) => process.stdout.write(s + '\n');
  const m = res.machine;
  w(`downhill bench: medians of ${runs} runs after a warm-up (range in brackets)`);
  w(`machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, native isa ${m.isa ?? 'n/a'}\n`);
  if (res.gemm.length) {
    const cols: Column[] = [{ title: 'gemm m×n×k', width: 16 }, { title: 'op', width: 5 }, { title: 'shape', width: 16 }, { title: 'threads', width: 7 }, { title: 'GFLOP/s', width: 8 }, { title: 'range', width: 13 }];
    w(formatHeader(cols));
    for (const g of res.gemm) w(formatRow(cols, [`${g.m}×${g.n}×${g.k}`, `${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'}`, g.label, String(g.threads), fmt(g.gflops), range(g.min, g.max)]));
    w('');
  }
  const tcols: Column[] = [{ title: 'train', width: 7 }, { title: 'isa', width: 6 }, { title: 'threads', width: 7 }, { title: 'batch', width: 5 }, { title: 'samples/s', width: 10 }, { title: 'range', width: 17 }];
  w(formatHeader(tcols));
  for (const r of res.train) w(formatRow(tcols, [r.engine, r.isa, String(r.threads), String(r.batch), Math.round(r.samplesPerSecond).toString(), `${Math.round(r.min)}–${Math.round(r.max)}`]));
  for (const r of res.independent ?? []) w(formatRow(tcols, [`${r.processes}×1t`, String(m.isa ?? ''), `${r.processes}×1`, String(r.batch), Math.round(r.samplesPerSecond).toString(), `${Math.round(r.min)}–${Math.round(r.max)}`]));
  if (res.independent?.length) w(`(${res.independent[0].processes}×1t: ${res.independent[0].processes} independent single-thread processes at once, combined)`);
  w('');
  const pcols: Column[] = [{ title: 'predict', width: 7 }, { title: 'isa', width: 6 }, { title: 'threads', width: 7 }, { title: 'batch', width: 5 }, { title: 'mode', width: 5 }, { title: 'ms/call', width: 9 }, { title: 'range', width: 17 }];
  w(formatHeader(pcols));
  for (const r of res.predict) w(formatRow(pcols, [r.engine, r.isa, String(r.threads), String(r.batch), r.mode, r.ms.toFixed(4), range(r.min, r.max, 4)]));
  if (res.peers) {
    w('');
    for (const s of res.peers.skipped) w(`peer skipped: ${s}`);
    if (res.peers.openblas) w(`OpenBLAS: ${res.peers.openblas.config} (core ${res.peers.openblas.core})`);
    if (res.peers.tfjs) {
      w(`TensorFlow.js ${res.peers.tfjs.version}:`);
      for (const t of res.peers.tfjs.train) w(`  train ${t.backend} batch ${t.batch}: ${Math.round(t.samplesPerSecond)} samples/s (${Math.round(t.min)}–${Math.round(t.max)})`);
    }
    if (res.peers.torch) {
      w(`PyTorch ${res.peers.torch.version}:`);
      for (const t of res.peers.torch.train) w(`  train ${t.setting} batch ${t.batch}: ${Math.round(t.samplesPerSecond)} samples/s (${Math.round(t.min)}–${Math.round(t.max)})`);
      for (const t of res.peers.torch.predict) w(`  predict ${t.setting} batch ${t.batch}: ${t.ms.toFixed(4)} ms (${range(t.min, t.max, 4)})`);
    }
  }
  if (res.ratios?.length) {
    w('');
    const rcols: Column[] = [{ title: 'comparison', width: 78 }, { title: 'downhill', width: 10 }, { title: 'peer', width: 10 }, { title: 'ratio', width: 6 }, { title: 'target', width: 6 }, { title: 'holds', width: 5 }];
    w(formatHeader(rcols));
    for (const r of res.ratios) {
      const digits = r.downhill < 10 ? 4 : 1;
      w(formatRow(rcols, [r.what, r.downhill.toFixed(digits), r.peer.toFixed(digits), `${r.ratio.toFixed(2)}x`, r.target ? `${r.target}x` : '', r.target ? (r.ratio >= r.target ? 'yes' : 'NO') : '']));
    }
  }
}

/** Runs the benchmark; returns the exit code. */
export async function bench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, runs: { type: 'string' }, peers: { type: 'boolean' }, threads: { type: 'string' }, serve: { type: 'boolean' }, out: { type: 'string' } },
    strict: true,
  });
  if (values.serve) return serve();
  const quick = values.quick ?? false;
  const runs = values.runs ? Math.max(1, Number(values.runs) | 0) : quick ? 3 : 7;
  const threadCounts = (values.threads ?? '1,2').split(',').map((s) => Math.max(1, Number(s) | 0));
  const native = tryNativeEngine().engine !== undefined;
  const info = native ? loadAddon().addon?.info() : undefined;
  const res: BenchResult = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}`, isa: info?.isa, isaAvailable: info?.isaAvailable, defaultThreads: info?.threads },
    gemm: [],
    train: [],
    predict: [],
  };
  const peers: Peers | undefined = values.peers ? { skipped: [] } : undefined;
  // Progress on stderr (stdout carries the tables or the JSON document).
  const status = (what: string) => process.stderr.write(`bench: ${what}…\n`);
  const measured = await measureInterleaved({ threadCounts, native, runs, quick, trainBatches: TRAIN_BATCHES, predictBatches: PREDICT_BATCHES, tsRuns: Math.min(runs, 5), peers, status });
  res.gemm.push(...measured.gemm);
  res.train.push(...measured.train, ...measured.ts);
  res.predict.push(...measured.predict);
  if (measured.independent.length) res.independent = measured.independent;
  status('pure-TS engine: predict');
  res.predict.push(...(await measurePredict('js', PREDICT_BATCHES, Math.min(runs, 5))));
  if (peers) res.peers = peers;
  res.ratios = ratios(res);
  if (values.out) await writeBenchReport(values.out, res, runs);
  if (values.json) process.stdout.write(JSON.stringify(res) + '\n');
  else printTables(res, runs);
  return 0;
}
