// Checkpoint files: corruption, atomic replacement, concurrent saves, and a process killed
// mid-save always leaving a complete checkpoint. Engine-independent (the pure-TS engine).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { adam, dense, loadModel, sequential, sgd, CheckpointError, type Optimizer } from '../../lib/index.js';
import { blobs } from '../helpers/data.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'downhill-ckpt-files-'));
let counter = 0;
const freshDir = () => join(root, `m${counter++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = blobs(400, 10, 3, 1);

function make(engine: 'js', optimizer: Optimizer = adam({ lr: 0.01 })) {
  const m = sequential({ inputSize: 10, seed: 9, engine, layers: [dense(12, { activation: 'relu', name: 'hidden' }), dense(3, { activation: 'softmax' })] });
  m.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] });
  return m;
}

describe('corrupt or missing checkpoints give a CheckpointError naming the file', () => {
  async function saved() {
    const dir = freshDir();
    const m = make('js');
    await m.fit(data.x, data.y, { epochs: 1, batchSize: 32 });
    await m.save(dir);
    const weights = readdirSync(dir).find((f) => f.endsWith('.safetensors'))!;
    return { dir, manifest: join(dir, 'model.json'), weights: join(dir, weights) };
  }
  async function failure(dir: string) {
    const err = await loadModel(dir).then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    return err as CheckpointError;
  }

  it('a missing folder → ERR_DOWNHILL_CHECKPOINT_MISSING', async () => {
    const err = await failure(join(root, 'nowhere'));
    expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_MISSING');
    expect(err.message).toMatch(/nowhere\/model.json: no saved model here/);
  });

  it('a missing weights file → ERR_DOWNHILL_CHECKPOINT_MISSING naming it', async () => {
    const { dir, weights } = await saved();
    rmSync(weights);
    const err = await failure(dir);
    expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_MISSING');
    expect(err.file).toBe(weights);
  });

  it('model.json that is not JSON → ERR_DOWNHILL_CHECKPOINT_CORRUPT', async () => {
    const { dir, manifest } = await saved();
    writeFileSync(manifest, '{ "format": "downhill-model", ');
    const err = await failure(dir);
    expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_CORRUPT');
    expect(err.message).toMatch(/model.json: is not valid JSON/);
  });

  it('a garbage model.json → ERR_DOWNHILL_CHECKPOINT_CORRUPT', async () => {
    const { dir, manifest } = await saved();
    writeFileSync(manifest, '[1, 2, 3]');
    expect((await failure(dir)).message).toMatch(/is not a downhill model/);
  });

  it('a wrong format version → ERR_DOWNHILL_CHECKPOINT_VERSION', async () => {
    const { dir, manifest } = await saved();
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    json.version = 99;
    writeFileSync(manifest, JSON.stringify(json));
    const err = await failure(dir);
    expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_VERSION');
    expect(err.message).toMatch(/format version 99; this downhill reads version 1/);
  });

  it('a __proto__ key in model.json is inert: no prototype pollution, the model loads as saved', async () => {
    const { dir, manifest } = await saved();
    const before = await loadModel(dir);
    const text = readFileSync(manifest, 'utf8').replace('"model": {', '"model": { "__proto__": { "polluted": true, "inputSize": 3 },');
    writeFileSync(manifest, text);
    const after = await loadModel(dir);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(after.inputSize).toBe(10);
    expect(after.getWeights()).toEqual(before.getWeights());
  });

  it('a model.json whose layers are not an array → ERR_DOWNHILL_CHECKPOINT_CORRUPT', async () => {
    const { dir, manifest } = await saved();
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    json.model.layers = 5;
    writeFileSync(manifest, JSON.stringify(json));
    const err = await failure(dir);
    expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_CORRUPT');
    expect(err.message).toMatch(/describes no valid model: "layers" is not an array/);
  });

  it('a truncated weights file → ERR_DOWNHILL_CHECKPOINT_CHECKSUM', async () => {
    for (const fraction of [0, 0.1, 0.5, 0.99]) {
      const { dir, weights } = await saved();
      truncateSync(weights, Math.floor(readFileSync(weights).length * fraction));
      const err = await failure(dir);
      expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_CHECKSUM');
      expect(err.message).toMatch(/truncated or replaced/);
    }
  });

  it('a flipped byte anywhere in the weights → ERR_DOWNHILL_CHECKPOINT_CHECKSUM', async () => {
    const { dir, weights } = await saved();
    const original = readFileSync(weights);
    for (const at of [0, 9, original.length >> 1, original.length - 1]) {
      const copy = Buffer.from(original);
      copy[at] ^= 0x40;
      writeFileSync(weights, copy);
      expect((await failure(dir)).code).toBe('ERR_DOWNHILL_CHECKPOINT_CHECKSUM');
    }
  });

  it('weights that do not fit the described topology → ERR_DOWNHILL_CHECKPOINT_MISMATCH', async () => {
    const { dir, manifest } = await saved();
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    json.model.layers[0].units = 13;
    writeFileSync(manifest, JSON.stringify(json));
    const err = await failure(dir);
    expect(err.code).toBe('ERR_DOWNHILL_CHECKPOINT_MISMATCH');
    expect(err.message).toMatch(/tensor 'hidden\/kernel' has shape \[10, 12\], the model needs \[10, 13\]/);
  });

  it('an invalid layer description → ERR_DOWNHILL_CHECKPOINT_CORRUPT naming the problem', async () => {
    const { dir, manifest } = await saved();
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    json.model.layers[0].activation = 'wobble';
    writeFileSync(manifest, JSON.stringify(json));
    expect((await failure(dir)).message).toMatch(/describes no valid model: dense\(options.activation\)/);
  });
});

describe('saving', () => {
  it('replaces the previous save and leaves one weights file and no temp files', async () => {
    const dir = freshDir();
    const m = make('js');
    await m.save(dir);
    await m.fit(data.x, data.y, { epochs: 1 });
    await m.save(dir);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith('.safetensors'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
    expect((await loadModel(dir)).getWeights()).toEqual(m.getWeights());
  });

  it('two concurrent saves to one folder end with one complete checkpoint (the later call)', async () => {
    const dir = freshDir();
    const a = make('js');
    const b = make('js', sgd());
    b.setWeights(a.getWeights().map((w) => ({ ...w, data: w.data.map((v) => v + 1) })));
    await Promise.all([a.save(dir), b.save(dir)]);
    expect((await loadModel(dir)).getWeights()).toEqual(b.getWeights());
  });

  it('works from onEpochEnd during fit', async () => {
    const dir = freshDir();
    const m = make('js');
    await m.fit(data.x, data.y, { epochs: 2, onEpochEnd: async () => m.save(dir) });
    expect((await loadModel(dir)).getWeights()).toEqual(m.getWeights());
  });

  // Engine-independent and slow: run once, not again in the DOWNHILL_ENGINE=js pass.
  it.skipIf(process.env.DOWNHILL_ENGINE === 'js')('a process killed at random moments while saving 20 MB always leaves a complete checkpoint', async () => {
    const dir = freshDir();
    for (let trial = 0; trial < 30; trial++) {
      const child = spawn(process.execPath, [fixture('save-loop.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let completed = 0;
      let firstSave: () => void = () => undefined;
      const saved = new Promise<void>((r) => (firstSave = r));
      child.stdout.on('data', (chunk: Buffer) => {
        const m = /saved (\d+)\s*$/.exec(chunk.toString());
        if (m) {
          completed = Number(m[1]);
          firstSave();
        }
      });
      await saved;
      // Seeded delays spread the kills over whole save cycles (hashing, writing, fsync, renames).
      await new Promise((r) => setTimeout(r, (trial * 7919) % 250));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const model = await loadModel(dir);
      const values = new Set(model.getWeights().flatMap((w) => [w.data[0], w.data[w.data.length - 1]]));
      expect(values.size).toBe(1);
      const [value] = values;
      // Either the last save the child reported or the one it had just committed when killed.
      expect(value === completed || value === completed + 1).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length).toBeLessThanOrEqual(2);
    }
  }, 300_000);
});
