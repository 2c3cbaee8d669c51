import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAll, writeFileAtomic } from '../../lib/io/atomic.js';

const root = mkdtempSync(join(tmpdir(), 'downhill-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeAll', () => {
  it('loops over short writes until every byte is written, in order', async () => {
    const written: number[] = [];
    const handle = {
      write: async (data: Uint8Array, offset: number, length: number) => {
        const n = Math.min(length, 3);
        written.push(...data.subarray(offset, offset + n));
        return { bytesWritten: n };
      },
    };
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    await writeAll(handle, data, 'f');
    expect(written).toEqual(Array.from(data));
  });

  it('fails instead of spinning when a write makes no progress', async () => {
    const handle = { write: async () => ({ bytesWritten: 0 }) };
    await expect(writeAll(handle, new Uint8Array(4), 'stuck')).rejects.toThrow(/stuck: write made no progress/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary files', async () => {
    const path = join(root, 'a.json');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, Buffer.from('new'));
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['a.json']);
  });

  it('leaves the old file and no temporary file when the write fails', async () => {
    const path = join(root, 'missing-dir', 'b.json');
    await expect(writeFileAtomic(path, Buffer.from('x'))).rejects.toThrow(/ENOENT/);
  });
});
