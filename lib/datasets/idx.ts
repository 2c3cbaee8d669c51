/**
 * MNIST-format IDX files (plain or gzipped): a folder holding train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (with or
 * without `.gz`; `-idx` or `.idx` spellings). Images come back scaled to [0, 1].
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export interface ImageSet {
  /** Row-major n × (rows·cols) values in [0, 1]. */
  x: Float32Array;
  /** Class per image. */
  y: Uint8Array;
  n: number;
  /** Pixels per image. */
  width: number;
}

/** Parses one IDX buffer of unsigned bytes (gzip is detected from its magic bytes). */
export function parseIdx(file: string, raw: Buffer): IdxArray {
  let buf = raw;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new DataError(file, `is not a valid gzip stream (${(err as Error).message})`, { cause: err });
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DataError(file, 'is not an IDX file (bad magic number)');
  if (buf[2] !== 0x08) throw new DataError(file, `holds IDX type 0x${buf[2].toString(16)}; only unsigned bytes (0x08) are supported`);
  const ndim = buf[3];
  if (ndim < 1 || ndim > 4) throw new DataError(file, `declares ${ndim} dimensions; expected 1 to 4`);
  if (buf.length < 4 + 4 * ndim) throw new DataError(file, 'is truncated inside its header');
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length - start !== count) {
    throw new DataError(file, `holds ${buf.length - start} data bytes, its header [${dims.join(' × ')}] needs ${count}${buf.length - start < count ? ' (truncated)' : ''}`);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

function find(dir: string, stem: string): string {
  for (const name of [stem, stem.replace('-idx', '.idx')]) {
    for (const suffix of ['', '.gz']) {
      const path = join(dir, name + suffix);
      if (existsSync(path)) return path;
    }
  }
  throw new DataError(join(dir, stem), 'not found (looked for it with and without .gz)');
}

/** Reads an image file and its label file into one set. */
export function readImageSet(imagesPath: string, labelsPath: string): ImageSet {
  const images = parseIdx(imagesPath, readFileSync(imagesPath));
  const labels = parseIdx(labelsPath, readFileSync(labelsPath));
  if (images.dims.length !== 3) throw new DataError(imagesPath, `has ${images.dims.length} dimensions; images need 3 (n, rows, cols)`);
  if (labels.dims.length !== 1) throw new DataError(labelsPath, `has ${labels.dims.length} dimensions; labels need 1`);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) throw new DataError(labelsPath, `holds ${labels.dims[0]} labels for ${n} images in ${imagesPath}`);
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return { x, y: Uint8Array.from(labels.data), n, width: rows * cols };
}

/**
 * Loads an MNIST-format folder: its training files and its t10k test files.
 * @example const { train, test } = loadIdx('data/fashion-mnist')
 */
export function loadIdx(dir: string): { train: ImageSet; test: ImageSet } {
  if (typeof dir !== 'string' || !existsSync(dir)) throw new DataError(String(dir), 'folder not found');
  const train = readImageSet(find(dir, 'train-images-idx3-ubyte'), find(dir, 'train-labels-idx1-ubyte'));
  const test = readImageSet(find(dir, 't10k-images-idx3-ubyte'), find(dir, 't10k-labels-idx1-ubyte'));
  if (train.width !== test.width) throw new DataError(dir, `training images have ${train.width} pixels, test images ${test.width}`);
  return { train, test };
}
