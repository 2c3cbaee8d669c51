import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdx, parseIdx } from '../../lib/datasets/idx.js';
import { DataError } from '../../lib/errors.js';

const root = mkdtempSync(join(tmpdir(), 'downhill-idx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function idx(dims: number[], data: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** A folder with n train and m test 2×3 images; pixel j of image i is (i·7 + j) mod 256. */
function folder(name: string, n: number, m: number, gz: boolean, spelling = '-idx'): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const write = (file: string, buf: Buffer) => writeFileSync(join(dir, file.replace('-idx', spelling) + (gz ? '.gz' : '')), gz ? gzipSync(buf) : buf);
  const pixels = (k: number) => Array.from({ length: k * 6 }, (_, t) => (Math.floor(t / 6) * 7 + (t % 6)) % 256);
  write('train-images-idx3-ubyte', idx([n, 2, 3], pixels(n)));
  write('train-labels-idx1-ubyte', idx([n], Array.from({ length: n }, (_, i) => i % 10)));
  write('t10k-images-idx3-ubyte', idx([m, 2, 3], pixels(m)));
  write('t10k-labels-idx1-ubyte', idx([m], Array.from({ length: m }, (_, i) => (i + 3) % 10)));
  return dir;
}

describe('loadIdx', () => {
  for (const gz of [false, true]) {
    it(`reads a ${gz ? 'gzipped' : 'plain'} MNIST-format folder, images scaled to [0, 1]`, () => {
      const { train, test } = loadIdx(folder(`ok-${gz}`, 5, 3, gz));
      expect([train.n, train.width, test.n, test.width]).toEqual([5, 6, 3, 6]);
      expect(train.x[6 + 2]).toBeCloseTo((7 + 2) / 255, 7);
      expect(Array.from(train.y)).toEqual([0, 1, 2, 3, 4]);
      expect(Array.from(test.y)).toEqual([3, 4, 5]);
      expect(train.y).toBeInstanceOf(Uint8Array);
      expect(train.x).toBeInstanceOf(Float32Array);
    });
  }

  it('accepts the train-images.idx3-ubyte spelling', () => {
    expect(loadIdx(folder('dots', 2, 2, false, '.idx')).train.n).toBe(2);
  });

  it('names a missing file', () => {
    const dir = folder('missing', 2, 2, false);
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    expect(() => loadIdx(dir)).toThrow(/t10k-labels-idx1-ubyte: not found/);
  });

  it('names a label file that does not match its images', () => {
    const dir = folder('mismatch', 4, 2, false);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([3], [1, 2, 3]));
    expect(() => loadIdx(dir)).toThrow(/train-labels-idx1-ubyte: holds 3 labels for 4 images/);
  });
});

describe('parseIdx rejects malformed files with a DataError naming the file', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['bad magic', Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 5]), /f: is not an IDX file \(bad magic number\)/],
    ['empty', Buffer.alloc(0), /is not an IDX file/],
    ['float data', idx([1], [0, 0, 0, 0], 0x0d), /holds IDX type 0xd; only unsigned bytes/],
    ['zero dimensions', Buffer.from([0, 0, 8, 0]), /declares 0 dimensions/],
    ['header cut short', Buffer.from([0, 0, 8, 3, 0, 0]), /is truncated inside its header/],
    ['data cut short', idx([2, 2], [1, 2, 3]), /holds 3 data bytes, its header \[2 × 2\] needs 4 \(truncated\)/],
    ['trailing bytes', idx([2], [1, 2, 3]), /holds 3 data bytes, its header \[2\] needs 2$/],
    ['broken gzip', Buffer.from([0x1f, 0x8b, 1, 2, 3]), /is not a valid gzip stream/],
  ];
  it.each(cases)('%s', (_, buf, message) => {
    let err: unknown;
    try {
      parseIdx('f', buf);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('ERR_DOWNHILL_DATA');
    expect((err as Error).message).toMatch(message);
  });
});
