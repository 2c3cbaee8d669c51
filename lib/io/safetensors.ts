/**
 * The safetensors format (readable by Python's `safetensors` and PyTorch): an 8-byte
 * little-endian header length N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * padded with spaces to a multiple of 8, then the tensor bytes. Only F32 tensors here.
 */

export interface Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Why a buffer is not a valid safetensors file, for the caller to wrap with the file name. */
export class SafetensorsFormatError extends Error {}

const MAX_HEADER = 100 * 1024 * 1024;

/** Encodes tensors (in the given order) and string metadata into one buffer. */
export function encodeSafetensors(tensors: Tensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += t.data.byteLength;
  }
  return out;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Decodes a safetensors buffer; every tensor is copied into its own aligned Float32Array. */
export function decodeSafetensors(buf: Buffer): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new SafetensorsFormatError(`${buf.length} bytes is too short for a safetensors header`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw new SafetensorsFormatError(`header length ${n} exceeds the file (${buf.length} bytes)`);
  const headerLength = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength));
  } catch (err) {
    throw new SafetensorsFormatError(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsFormatError('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = buf.length - dataStart;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry) || Object.values(entry).some((v) => typeof v !== 'string')) {
        throw new SafetensorsFormatError('__metadata__ is not an object of strings');
      }
      metadata = Object.fromEntries(Object.entries(entry as Record<string, string>));
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== 'object') throw new SafetensorsFormatError(`tensor '${name}' has no description`);
    if (e.dtype !== 'F32') throw new SafetensorsFormatError(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}, expected "F32"`);
    if (!isIntArray(e.shape)) throw new SafetensorsFormatError(`tensor '${name}' has an invalid shape`);
    if (!isIntArray(e.data_offsets) || e.data_offsets.length !== 2) throw new SafetensorsFormatError(`tensor '${name}' has invalid data_offsets`);
    const [begin, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength || end - begin !== count * 4) {
      throw new SafetensorsFormatError(`tensor '${name}' spans bytes [${begin}, ${end}) but the shape [${e.shape.join(', ')}] needs ${count * 4} bytes within ${dataLength}`);
    }
    const data = new Float32Array(count);
    buf.copy(Buffer.from(data.buffer), 0, dataStart + begin, dataStart + end);
    tensors.set(name, { name, shape: e.shape, data });
  }
  return { tensors, metadata };
}
