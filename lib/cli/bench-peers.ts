/**
 * Peers for `downhill bench --peers`: OpenBLAS sgemm through Debian's python3-numpy and
 * PyTorch (Debian's python3-torch) on the same network, optimizer and batches, run by
 * /usr/bin/python3 with bench/peers.py, each setting a participant process of the interleaved
 * benchmark. Everything here is optional: when the interpreter, the script or a module is
 * missing, the peer is reported as skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Participant } from './bench-channel.js';

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

function available(module: string): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (!existsSync(SCRIPT)) return `${SCRIPT} not found`;
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} cannot import ${module}`;
}

/** Pause after a sample of a peer whose idle OpenBLAS threads keep spinning (up to ~0.1 s at its default timeout), so they do not slow the next participant's sample. */
const SPIN_SETTLE_MS = 150;

/** A python participant (bench/peers.py serve) with `env`, or why it cannot run. */
function startPython(name: string, module: string, torchThreads: number, env: Record<string, string>, threads: number): Participant | string {
  const missing = available(module);
  if (missing) return missing;
  return new Participant(name, PYTHON, [SCRIPT, 'serve', String(torchThreads)], peerEnv(env), threads > 1 ? SPIN_SETTLE_MS : 0);
}

/** OpenBLAS sgemm via numpy with `threads` OpenBLAS threads, or why it cannot run. */
export function startBlas(threads: number): Participant | string {
  return startPython(`OpenBLAS ${threads}t`, 'numpy', 1, { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) }, threads);
}

export interface TorchSetting {
  setting: string;
  threads: number;
  intra: number;
  env: Record<string, string>;
}

export const TORCH_SETTINGS: TorchSetting[] = [
  // The best two-core setting: one intra-op thread, two OpenBLAS threads that sleep when idle.
  { setting: 'intra1-blas2', threads: 2, intra: 1, env: { OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' } },
  // Plain set_num_threads(2): for reference (oversubscribes two cores).
  { setting: 'intra2', threads: 2, intra: 2, env: {} },
  { setting: 'intra1-blas1', threads: 1, intra: 1, env: { OPENBLAS_NUM_THREADS: '1' } },
];

/** PyTorch in one thread setting, or why it cannot run. */
export function startTorch(s: TorchSetting): Participant | string {
  return startPython(`PyTorch ${s.setting}`, 'torch', s.intra, s.env, s.threads);
}

const TFJS_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'tfjs-peer.mjs');

/** TensorFlow.js with `backend` ('cpu' or 'wasm') training the seed network (bench/tfjs-peer.mjs serve), or why it cannot run. */
export function startTfjs(backend: 'cpu' | 'wasm'): Participant | string {
  if (!existsSync(TFJS_SCRIPT)) return `${TFJS_SCRIPT} not found`;
  const pkg = backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs';
  try {
    createRequire(TFJS_SCRIPT).resolve(pkg);
  } catch {
    return `${pkg} is not installed (a dev dependency)`;
  }
  return new Participant(`TensorFlow.js ${backend}`, process.execPath, [TFJS_SCRIPT, backend, 'serve'], process.env);
}
