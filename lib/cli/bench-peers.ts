/**
 * Peers for `downhill bench --peers`: OpenBLAS sgemm through Debian's python3-numpy and
 * PyTorch (Debian's python3-torch) on the same network, optimizer and batches, run by
 * /usr/bin/python3 with bench/peers.py. Everything here is optional: when the interpreter,
 * the script or a module is missing, the peer is reported as skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GemmShape } from './bench-measure.js';

const PYTHON = process.env.DOWNHILL_BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'peers.py');

export interface PeerGemmRow {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  threads: number;
  gflops: number;
  min: number;
  max: number;
}

export interface Peers {
  skipped: string[];
  /** TensorFlow.js (dev dependencies) on the same network: backend 'tfjs-cpu' (pure JS) or 'tfjs-wasm' (SIMD, single-threaded in Node). */
  tfjs?: { version: string; train: { backend: string; batch: number; samplesPerSecond: number; min: number; max: number }[] };
  openblas?: { core: string; config: string; gemm: PeerGemmRow[] };
  torch?: {
    version: string;
    /** setting → rows: 'intra1-blas2' (the best 2-core setting), 'intra2' (plain set_num_threads(2)), 'intra1-blas1'. */
    train: { setting: string; threads: number; batch: number; samplesPerSecond: number; min: number; max: number }[];
    predict: { setting: string; threads: number; batch: number; ms: number; min: number; max: number }[];
  };
}

/**
 * OpenBLAS reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when set (this workplace pins an older
 * core type for safety); a benchmark wants the kernel OpenBLAS picks itself, so both are
 * dropped for the peer processes only.
 */
function peerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function runPy(args: string[], env: Record<string, string>): { ok: true; value: any } | { ok: false; reason: string } {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { env: peerEnv(env), encoding: 'utf8', timeout: 600_000 });
  if (r.error) return { ok: false, reason: r.error.message };
  if (r.status !== 0) return { ok: false, reason: (r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}` };
  try {
    return { ok: true, value: JSON.parse(r.stdout) };
  } catch {
    return { ok: false, reason: `unreadable output: ${r.stdout.slice(0, 200)}` };
  }
}

function available(module: string): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (!existsSync(SCRIPT)) return `${SCRIPT} not found`;
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} cannot import ${module}`;
}

/** OpenBLAS sgemm via numpy on `shapes` with `threads` OpenBLAS threads, appended to `peers`. */
export function peerGemm(peers: Peers, shapes: GemmShape[], threads: number, runs: number): void {
  const missing = available('numpy');
  if (missing) {
    if (!peers.skipped.some((s) => s.startsWith('OpenBLAS'))) peers.skipped.push(`OpenBLAS via numpy: ${missing}`);
    return;
  }
  const list = JSON.stringify(shapes.map((s) => [s.m, s.n, s.k, s.transA, s.transB]));
  const r = runPy(['gemm', list, String(runs)], { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) });
  if (!r.ok) {
    peers.skipped.push(`OpenBLAS via numpy, ${threads} threads: ${r.reason}`);
    return;
  }
  peers.openblas ??= { core: 'unknown', config: 'unknown', gemm: [] };
  peers.openblas.core = r.value.blas?.core ?? peers.openblas.core;
  peers.openblas.config = r.value.blas?.config ?? peers.openblas.config;
  for (const g of r.value.gemm) peers.openblas.gemm.push({ ...g, threads });
}

const TORCH_SETTINGS = [
  // The best two-core setting: one intra-op thread, two OpenBLAS threads that sleep when idle.
  { setting: 'intra1-blas2', threads: 2, intra: 1, env: { OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' } as Record<string, string> },
  // Plain set_num_threads(2): for reference (oversubscribes two cores).
  { setting: 'intra2', threads: 2, intra: 2, env: {} as Record<string, string> },
  { setting: 'intra1-blas1', threads: 1, intra: 1, env: { OPENBLAS_NUM_THREADS: '1' } as Record<string, string> },
];

/** PyTorch train and predict in every setting that uses `threads` cores, appended to `peers`. */
export function peerTorch(peers: Peers, threads: number, trainBatches: number[], predictBatches: number[], runs: number): void {
  const missing = available('torch');
  if (missing) {
    if (!peers.skipped.some((s) => s.startsWith('PyTorch'))) peers.skipped.push(`PyTorch: ${missing}`);
    return;
  }
  const torch = (peers.torch ??= { version: 'unknown', train: [], predict: [] });
  for (const s of TORCH_SETTINGS.filter((x) => x.threads === threads)) {
    const tr = runPy(['train', JSON.stringify(trainBatches), String(runs), String(s.intra)], s.env);
    if (tr.ok) {
      torch.version = tr.value.torch;
      for (const row of tr.value.train) torch.train.push({ setting: s.setting, threads: s.threads, ...row });
    } else {
      peers.skipped.push(`PyTorch train ${s.setting}: ${tr.reason}`);
    }
    const pr = runPy(['predict', JSON.stringify(predictBatches), String(runs), String(s.intra)], s.env);
    if (pr.ok) {
      for (const row of pr.value.predict) torch.predict.push({ setting: s.setting, threads: s.threads, ...row });
    } else {
      peers.skipped.push(`PyTorch predict ${s.setting}: ${pr.reason}`);
    }
  }
}

const TFJS_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'tfjs-peer.mjs');

/** TensorFlow.js CPU and WASM training on the seed network, appended to `peers` (skipped when not installed). */
export function peerTfjs(peers: Peers, batches: number[], runs: number): void {
  for (const backend of ['cpu', 'wasm']) {
    const r = spawnSync(process.execPath, [TFJS_SCRIPT, backend, '--batches', batches.join(','), '--runs', String(runs)], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 24 });
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !last.startsWith('{')) {
      peers.skipped.push(`TensorFlow.js ${backend}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()}`);
      continue;
    }
    const value = JSON.parse(last) as { backend: string; version: string; train: { batch: number; samplesPerSecond: number; min: number; max: number }[] };
    const tfjs = (peers.tfjs ??= { version: value.version, train: [] });
    for (const row of value.train) tfjs.train.push({ backend: value.backend, ...row });
  }
}
