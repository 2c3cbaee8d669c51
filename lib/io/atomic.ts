/**
 * Durable, atomic file replacement: write a temporary file in the same folder (looping over
 * short writes), fsync it, rename it over the target, fsync the folder. A process killed at
 * any moment leaves either the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Prefix of every temporary file this module writes: stale ones may be removed by the next save. */
export const TEMP_PREFIX = '.downhill-tmp-';

/** The part of a FileHandle writeAll needs. */
export interface Writable {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/** Writes all of `data`, looping: a single write may write less than asked (and Linux caps one at ~2 GiB). */
export async function writeAll(handle: Writable, data: Uint8Array, path: string): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, Math.min(data.length - offset, 1 << 30));
    if (!(bytesWritten > 0)) throw new Error(`${path}: write made no progress`);
    offset += bytesWritten;
  }
}

/** Creates or truncates `path`, writes all of `data` and fsyncs it. */
export async function writeFully(path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'w', 0o644);
  try {
    await writeAll(handle, data, path);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a folder so a rename inside it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Atomically replaces `path` with `data`. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFully(temp, data);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}
