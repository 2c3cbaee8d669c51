/**
 * The interleaved measurement behind `downhill bench`: the native engine at each thread count
 * and every peer run as live participant processes (bench-channel.ts), and each measurement
 * (a GEMM shape, a train batch, a predict case) takes its samples in rounds, one from every
 * participant in turn. A ratio then compares samples taken seconds apart under the same load
 * on the shared machine, instead of phases a minute apart.
 *
 * The pure-TS engine and TensorFlow.js (CPU and WASM backends, with `--peers`) train in
 * alternation too, in a phase of their own (they are slower: fewer rounds).
 *
 * Training also samples N single-thread native processes at once (N = the most threads
 * measured): what the machine gives N cores that share nothing but the hardware, the ceiling
 * against which the N-thread scaling reads (see bench/README.md).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Participant } from './bench-channel.js';
import { gemmShapes, stat, type GemmRow, type IndependentRow, type PredictRow, type Stat, type TrainRow } from './bench-measure.js';
import { startBlas, startTfjs, startTorch, TORCH_SETTINGS, type Peers, type TorchSetting } from './bench-peers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'downhill.js');

/** One participant's (or one group's) samples of one measurement. */
export interface Lane {
  name: string;
  req: object;
  /** One sample of `req`. */
  take: () => Promise<number>;
  /** Pause after each sample (threads that spin, see bench-peers.ts). */
  settleMs: number;
  values: number[];
  error?: string;
}

/** The samples `who` answers to `req`. */
export const lane = (who: Pick<Participant, 'name' | 'request' | 'settleMs'>, req: object): Lane => ({
  name: who.name,
  req,
  take: async () => Number(await who.request(req)),
  settleMs: who.settleMs,
  values: [],
});

/**
 * `req` sent to every one of `group` at once, as independent processes on the same machine; a
 * sample is their combined rate while all of them run: group size × the slowest one's rate
 * (every member does the same work, so this is the work done until the last one finishes).
 * For a rate (samples/s) only.
 */
export const concurrentLane = (name: string, group: Pick<Participant, 'request'>[], req: object): Lane => ({
  name,
  req,
  take: async () => {
    const rates = (await Promise.all(group.map((g) => g.request(req)))).map(Number);
    return group.length * Math.min(...rates);
  },
  settleMs: 0,
  values: [],
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `runs` rounds; each takes one sample from every lane in turn, forward then reverse order on
 * alternate rounds so that no participant always goes first.
 */
export async function alternate(lanes: Lane[], runs: number): Promise<void> {
  for (let r = 0; r < runs; r++) {
    for (const l of r % 2 === 0 ? lanes : [...lanes].reverse()) {
      if (l.error) continue;
      try {
        const v = await l.take();
        if (!Number.isFinite(v) || v <= 0) throw new Error(`sample ${v} is not a positive number`);
        l.values.push(v);
      } catch (e) {
        l.error = e instanceof Error ? e.message : String(e);
      }
      if (l.settleMs) await sleep(l.settleMs);
    }
  }
}

/** A lane's median and range; a failed peer lane is recorded in `skipped`, a failed native lane throws. */
function result(l: Lane, skipped?: string[]): Stat | undefined {
  if (!l.error && l.values.length > 0) return stat(l.values);
  const why = `${l.name} ${JSON.stringify(l.req)}: ${l.error ?? 'no samples'}`;
  if (!skipped) throw new Error(`bench: ${why}`);
  skipped.push(why);
  return undefined;
}

/** What the interleaved run measured, rows ordered by thread count as the tables print them. */
export interface Interleaved {
  gemm: GemmRow[];
  train: TrainRow[];
  predict: PredictRow[];
  /** With 1 and N > 1 native threads: N single-thread trainers at once, sampled with the others. */
  independent: IndependentRow[];
  /** The pure-TS engine's training rows (when `tsRuns` > 0). */
  ts: TrainRow[];
}

export interface InterleaveOptions {
  threadCounts: number[];
  native: boolean;
  runs: number;
  quick: boolean;
  trainBatches: number[];
  predictBatches: number[];
  /** Rounds of the pure-TS engine and TensorFlow.js phase (0: skip it). */
  tsRuns: number;
  /** Filled with the peers' rows when given (`--peers`). */
  peers?: Peers;
  status: (what: string) => void;
}

type Native = { threads: number; who: Participant; isa: string };

/** A `bench --serve` participant: the native engine at `threads`, or the pure-TS engine. */
const startServe = (name: string, threads: number, engine: 'native' | 'js' = 'native') =>
  new Participant(name, process.execPath, [BIN, 'bench', '--serve'], { ...process.env, DOWNHILL_THREADS: String(threads), DOWNHILL_ENGINE: engine });

async function startNatives(threadCounts: number[]): Promise<Native[]> {
  const natives = threadCounts.map((t) => ({ threads: t, isa: '', who: startServe(`native ${t}t`, t) }));
  for (const n of natives) {
    const info = (await n.who.request({ kind: 'info' })) as { isa: string; threads: number };
    n.isa = info.isa;
    n.threads = info.threads;
  }
  return natives;
}

/** Starts the peers that can run; the others go to `peers.skipped` with the reason. */
async function startPeers(peers: Peers, threadCounts: number[]) {
  const blas: { threads: number; who: Participant }[] = [];
  const torch: { s: TorchSetting; who: Participant }[] = [];
  for (const t of threadCounts) {
    const who = startBlas(t);
    if (typeof who === 'string') {
      peers.skipped.push(`OpenBLAS via numpy, ${t} threads: ${who}`);
      continue;
    }
    try {
      const info = (await who.request({ kind: 'info' })) as { blas: { core?: string; config?: string } };
      peers.openblas ??= { core: info.blas.core ?? 'unknown', config: info.blas.config ?? 'unknown', gemm: [] };
      blas.push({ threads: t, who });
    } catch (e) {
      peers.skipped.push(`${who.name}: ${(e as Error).message}`);
      await who.close();
    }
  }
  for (const s of TORCH_SETTINGS.filter((x) => threadCounts.includes(x.threads))) {
    const who = startTorch(s);
    if (typeof who === 'string') {
      peers.skipped.push(`PyTorch ${s.setting}: ${who}`);
      continue;
    }
    try {
      const info = (await who.request({ kind: 'info', torch: true })) as { torch: string };
      peers.torch ??= { version: info.torch, train: [], predict: [] };
      torch.push({ s, who });
    } catch (e) {
      peers.skipped.push(`${who.name}: ${(e as Error).message}`);
      await who.close();
    }
  }
  return { blas, torch };
}

/** Runs every measurement in alternation across the participants. */
export async function measureInterleaved(o: InterleaveOptions): Promise<Interleaved> {
  const natives: Native[] = [];
  // The single-thread native process and copies of it: as many as the most threads measured.
  const singles: Participant[] = [];
  const independent: IndependentRow[] = [];
  let blas: { threads: number; who: Participant }[] = [];
  let torch: { s: TorchSetting; who: Participant }[] = [];
  const slow: Participant[] = [];
  const ts: TrainRow[] = [];
  const byThreads = <T>() => new Map<number, T[]>(o.threadCounts.map((t) => [t, []]));
  const gemmRows = byThreads<GemmRow>();
  const trainRows = byThreads<TrainRow>();
  const predictRows = byThreads<PredictRow>();
  const skipped = o.peers?.skipped;
  try {
    if (o.native) natives.push(...(await startNatives(o.threadCounts)));
    const one = natives.find((x) => x.threads === 1);
    const most = Math.max(...natives.map((x) => x.threads));
    if (one && most > 1) {
      singles.push(one.who);
      for (let i = 2; i <= most; i++) singles.push(startServe(`native 1t #${i}`, 1));
      for (const s of singles.slice(1)) await s.request({ kind: 'info' });
    }
    if (o.peers) ({ blas, torch } = await startPeers(o.peers, o.threadCounts));
    const nativeNames = natives.map((n) => `native ${n.threads}t`).join(', ');

    if (natives.length || blas.length) o.status(`GEMM in alternation: ${[nativeNames, ...blas.map((b) => b.who.name)].filter(Boolean).join(', ')}`);
    for (const shape of natives.length || blas.length ? gemmShapes(o.quick) : []) {
      const { m, n, k, transA, transB } = shape;
      const nl = natives.map((x) => lane(x.who, { kind: 'gemm', shape }));
      const bl = blas.map((x) => lane(x.who, { kind: 'gemm', m, n, k, transA, transB }));
      await alternate([...nl, ...bl], o.runs);
      natives.forEach((x, i) => {
        const st = result(nl[i])!;
        gemmRows.get(x.threads)!.push({ ...shape, threads: x.threads, isa: x.isa, gflops: st.median, min: st.min, max: st.max });
      });
      blas.forEach((x, i) => {
        const st = result(bl[i], skipped);
        if (st) o.peers!.openblas!.gemm.push({ m, n, k, transA, transB, threads: x.threads, gflops: st.median, min: st.min, max: st.max });
      });
    }

    if (natives.length || torch.length) o.status(`train in alternation: ${[nativeNames, ...torch.map((t) => t.who.name)].filter(Boolean).join(', ')}`);
    for (const batch of o.trainBatches) {
      const nl = natives.map((x) => lane(x.who, { kind: 'train', batch, quick: o.quick }));
      // PyTorch at batch 1 takes seconds per sample and no target compares it.
      const tp = batch > 1 ? torch : [];
      const tl = tp.map((x) => lane(x.who, { kind: 'train', batch }));
      const il = singles.length ? [concurrentLane(`native 1t ×${singles.length} at once`, singles, { kind: 'train', batch, quick: o.quick })] : [];
      // The copies set up and warm up on their first request; do that before any timed round.
      for (const s of singles.slice(1)) await s.request({ kind: 'train', batch, quick: o.quick });
      await alternate([...nl, ...il, ...tl], o.runs);
      if (il.length) {
        const st = result(il[0])!;
        independent.push({ batch, processes: singles.length, samplesPerSecond: st.median, min: st.min, max: st.max });
      }
      natives.forEach((x, i) => {
        const st = result(nl[i])!;
        trainRows.get(x.threads)!.push({ engine: 'native', isa: x.isa, batch, threads: x.threads, samplesPerSecond: st.median, min: st.min, max: st.max });
      });
      tp.forEach((x, i) => {
        const st = result(tl[i], skipped);
        if (st) o.peers!.torch!.train.push({ setting: x.s.setting, threads: x.s.threads, batch, samplesPerSecond: st.median, min: st.min, max: st.max });
      });
    }

    if (natives.length || torch.length) o.status('predict in alternation');
    const modes = ['sync', 'async'] as const;
    for (const batch of o.predictBatches) {
      const nl = natives.flatMap((x) => modes.map((mode) => lane(x.who, { kind: 'predict', batch, mode })));
      const tl = torch.map((x) => lane(x.who, { kind: 'predict', batch }));
      await alternate([...nl, ...tl], o.runs);
      natives.forEach((x, i) =>
        modes.forEach((mode, j) => {
          const st = result(nl[i * modes.length + j])!;
          predictRows.get(x.threads)!.push({ engine: 'native', isa: x.isa, batch, threads: x.threads, mode, ms: st.median, min: st.min, max: st.max });
        }),
      );
      torch.forEach((x, i) => {
        const st = result(tl[i], skipped);
        if (st) o.peers!.torch!.predict.push({ setting: x.s.setting, threads: x.s.threads, batch, ms: st.median, min: st.min, max: st.max });
      });
    }
    if (o.tsRuns > 0) await measureTsPhase(o, slow, ts);
  } finally {
    await Promise.all([...natives.map((x) => x.who), ...singles.slice(1), ...blas.map((x) => x.who), ...torch.map((x) => x.who), ...slow].map((who) => who.close()));
  }
  const flat = <T>(m: Map<number, T[]>) => o.threadCounts.flatMap((t) => m.get(t)!);
  return { gemm: flat(gemmRows), train: flat(trainRows), predict: flat(predictRows), independent, ts };
}

/** The pure-TS engine and (with peers) TensorFlow.js CPU and WASM, training in alternation; their processes go to `started`. */
async function measureTsPhase(o: InterleaveOptions, started: Participant[], rows: TrainRow[]): Promise<void> {
  const pure = startServe('pure TS', 1, 'js');
  started.push(pure);
  const tfjs: { backend: string; who: Participant }[] = [];
  for (const backend of o.peers ? (['cpu', 'wasm'] as const) : []) {
    const who = startTfjs(backend);
    if (typeof who === 'string') {
      o.peers!.skipped.push(`TensorFlow.js ${backend}: ${who}`);
      continue;
    }
    started.push(who);
    try {
      const info = (await who.request({ kind: 'info' })) as { backend: string; version: string };
      o.peers!.tfjs ??= { version: info.version, train: [] };
      tfjs.push({ backend: info.backend, who });
    } catch (e) {
      o.peers!.skipped.push(`${who.name}: ${(e as Error).message}`);
    }
  }
  o.status(`pure-TS engine in alternation${tfjs.length ? ` with ${tfjs.map((t) => t.who.name).join(', ')}` : ''}`);
  for (const batch of o.trainBatches) {
    const pl = lane(pure, { kind: 'train', batch, quick: o.quick, engine: 'js' });
    // TensorFlow.js at batch 1 takes seconds per sample and no comparison uses it.
    const tl = batch > 1 ? tfjs.map((t) => lane(t.who, { kind: 'train', batch })) : [];
    await alternate([pl, ...tl], o.tsRuns);
    const st = result(pl)!;
    rows.push({ engine: 'js', isa: 'js', batch, threads: 1, samplesPerSecond: st.median, min: st.min, max: st.max });
    tl.forEach((l, i) => {
      const r = result(l, o.peers!.skipped);
      if (r) o.peers!.tfjs!.train.push({ backend: tfjs[i].backend, batch, samplesPerSecond: r.median, min: r.min, max: r.max });
    });
  }
}
