/**
 * A saved model on disk: `model.json` (the manifest: a plain JSON description written by the
 * model layer, plus format version and checksums) and `weights-<hash>.safetensors` (every
 * tensor). The weights file is written first under a content-derived name, then model.json is
 * atomically replaced to point at it: that rename is the commit point, so a process killed at
 * any moment leaves the previous save loadable. Older weights files are pruned afterwards.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../errors.js';
import { TEMP_PREFIX, writeFileAtomic } from './atomic.js';
import { SafetensorsFormatError, decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors.js';

export const FORMAT = 'downhill-model';
export const FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'model.json';
const WEIGHTS_FILE = /^weights-[0-9a-f]{16}\.safetensors$/;

export interface CheckpointData {
  /** JSON-safe description of the model (topology, compile config, counters, …). */
  model: Record<string, unknown>;
  tensors: Tensor[];
}

interface Manifest {
  format: string;
  version: number;
  model: Record<string, unknown>;
  weights: { file: string; bytes: number; sha256: string; tensors: Record<string, string> };
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const tensorBytes = (t: Tensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Saves to one folder at a time per process, in call order. */
const pending = new Map<string, Promise<unknown>>();

/** Writes a checkpoint into `dir` (created if needed), atomically. */
export function writeCheckpoint(dir: string, data: CheckpointData): Promise<void> {
  const key = resolve(dir);
  const previous = pending.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => write(key, data));
  pending.set(key, next);
  const cleanup = () => {
    if (pending.get(key) === next) pending.delete(key);
  };
  next.then(cleanup, cleanup);
  return next;
}

async function write(dir: string, data: CheckpointData): Promise<void> {
  await mkdir(dir, { recursive: true });
  const buffer = encodeSafetensors(data.tensors, { format: FORMAT });
  const fileHash = sha256(buffer);
  const weightsFile = `weights-${fileHash.slice(0, 16)}.safetensors`;
  const manifest: Manifest = {
    format: FORMAT,
    version: FORMAT_VERSION,
    model: data.model,
    weights: {
      file: weightsFile,
      bytes: buffer.length,
      sha256: fileHash,
      tensors: Object.fromEntries(data.tensors.map((t) => [t.name, sha256(tensorBytes(t))])),
    },
  };
  await writeFileAtomic(join(dir, weightsFile), buffer);
  await writeFileAtomic(join(dir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  // Committed. Remove weights no manifest points to and temp files of interrupted saves.
  for (const name of await readdir(dir)) {
    if ((WEIGHTS_FILE.test(name) && name !== weightsFile) || name.startsWith(TEMP_PREFIX)) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}

function corrupt(file: string, reason: string, cause?: unknown): CheckpointError {
  return new CheckpointError('ERR_DOWNHILL_CHECKPOINT_CORRUPT', file, reason, { cause });
}

/** Reads and verifies a checkpoint folder. Throws CheckpointError naming the file and the problem. */
export async function readCheckpoint(dir: string): Promise<CheckpointData> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_MISSING', manifestPath, code === 'ENOENT' ? 'no saved model here (model.json is missing)' : `cannot be read (${code})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw corrupt(manifestPath, `is not valid JSON (${(err as Error).message})`, err);
  }
  const m = parsed as Partial<Manifest> | null;
  if (m === null || typeof m !== 'object' || Array.isArray(m) || m.format !== FORMAT) {
    throw corrupt(manifestPath, `is not a downhill model (expected "format": "${FORMAT}")`);
  }
  if (m.version !== FORMAT_VERSION) {
    throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_VERSION', manifestPath, `has format version ${JSON.stringify(m.version)}; this downhill reads version ${FORMAT_VERSION}`);
  }
  const w = m.weights;
  if (w === null || typeof w !== 'object' || typeof w.file !== 'string' || !WEIGHTS_FILE.test(w.file) || typeof w.sha256 !== 'string' || !Number.isSafeInteger(w.bytes) || w.tensors === null || typeof w.tensors !== 'object') {
    throw corrupt(manifestPath, 'has no valid "weights" entry');
  }
  if (m.model === null || typeof m.model !== 'object' || Array.isArray(m.model)) throw corrupt(manifestPath, 'has no "model" object');
  const weightsPath = join(dir, w.file);
  let buffer: Buffer;
  try {
    buffer = await readFile(weightsPath);
  } catch (err) {
    throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_MISSING', weightsPath, `cannot be read (${(err as NodeJS.ErrnoException).code}); model.json refers to it`, { cause: err });
  }
  if (buffer.length !== w.bytes) {
    throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_CHECKSUM', weightsPath, `holds ${buffer.length} bytes, model.json says ${w.bytes} (truncated or replaced)`);
  }
  if (sha256(buffer) !== w.sha256) {
    throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_CHECKSUM', weightsPath, 'does not match the SHA-256 recorded in model.json (corrupted)');
  }
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(buffer);
  } catch (err) {
    if (err instanceof SafetensorsFormatError) throw corrupt(weightsPath, err.message, err);
    throw err;
  }
  const expected = Object.entries(w.tensors as Record<string, unknown>);
  if (expected.length !== decoded.tensors.size) throw corrupt(weightsPath, `holds ${decoded.tensors.size} tensors, model.json lists ${expected.length}`);
  const tensors: Tensor[] = [];
  for (const [name, hash] of expected) {
    const t = decoded.tensors.get(name);
    if (!t) throw corrupt(weightsPath, `has no tensor '${name}' listed in model.json`);
    if (sha256(tensorBytes(t)) !== hash) throw new CheckpointError('ERR_DOWNHILL_CHECKPOINT_CHECKSUM', weightsPath, `tensor '${name}' does not match its checksum`);
    tensors.push(t);
  }
  return { model: m.model, tensors };
}
