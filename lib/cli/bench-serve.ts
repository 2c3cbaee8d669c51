/**
 * `downhill bench --serve`: the native engine as a participant of the interleaved benchmark
 * (bench-channel.ts). Started once per thread count (DOWNHILL_THREADS), it answers requests
 * one JSON line at a time; the first request for a measurement sets it up and warms it up,
 * then every request (that one included) times one block and replies with its value. A train
 * request may name the pure-TS engine instead (`engine: 'js'`): one such process is the pure-TS
 * participant.
 */
import { createInterface } from 'node:readline';
import { loadAddon } from '../engine/binding.js';
import type { Sequential } from '../model.js';
import { gemmSampler, predictSampler, seedModel, trainSampler, type GemmShape, type Sampler } from './bench-measure.js';

/** What the orchestrator asks of a native participant. */
export type NativeRequest =
  | { kind: 'info' }
  | { kind: 'gemm'; shape: GemmShape }
  | { kind: 'train'; batch: number; quick: boolean; engine?: 'native' | 'js' }
  | { kind: 'predict'; batch: number; mode: 'sync' | 'async' };

/** Serves requests from stdin until it closes; returns the exit code. */
export async function serve(): Promise<number> {
  const samplers = new Map<string, Sampler>();
  const models: Sequential[] = [];
  let predictModel: Sequential | undefined;
  const make = async (req: NativeRequest): Promise<Sampler> => {
    switch (req.kind) {
      case 'gemm': {
        const s = gemmSampler(req.shape);
        if (!s) throw new Error('the native engine did not load');
        return s;
      }
      case 'train': {
        const run = await trainSampler(req.engine ?? 'native', req.batch, req.quick);
        models.push(run.model);
        return run.sample;
      }
      case 'predict':
        if (!predictModel) models.push((predictModel = seedModel('native')));
        return predictSampler(predictModel, req.batch, req.mode);
      default:
        throw new Error(`unknown request ${JSON.stringify(req)}`);
    }
  };
  const answer = async (req: NativeRequest): Promise<unknown> => {
    if (req.kind === 'info') {
      const { addon } = loadAddon();
      if (!addon) throw new Error('the native engine did not load');
      return addon.info();
    }
    const key = JSON.stringify(req);
    let sample = samplers.get(key);
    if (!sample) samplers.set(key, (sample = await make(req)));
    return sample();
  };
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    let reply: object;
    try {
      reply = { value: await answer(JSON.parse(line) as NativeRequest) };
    } catch (e) {
      reply = { error: e instanceof Error ? e.message : String(e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  for (const m of models) m.dispose();
  return 0;
}
