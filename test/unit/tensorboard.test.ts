// TensorBoard event files, parsed back: TFRecord framing, masked CRC-32C, Event protobufs.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from '../../lib/report/crc32c.js';
import { tensorBoard } from '../../lib/report/tensorboard.js';
import { adam, dense, sequential } from '../../lib/index.js';
import { blobs } from '../helpers/data.js';

const root = mkdtempSync(join(tmpdir(), 'downhill-tb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Minimal protobuf reader: field number → list of raw values (varint as bigint, fixed as bytes, length-delimited as bytes). */
function fields(buf: Uint8Array): Map<number, (bigint | Uint8Array)[]> {
  const out = new Map<number, (bigint | Uint8Array)[]>();
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    let value: bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) (value = buf.subarray(i, i + 8)), (i += 8);
    else if (wire === 5) (value = buf.subarray(i, i + 4)), (i += 4);
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else throw new Error(`wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** Reads every record, checking both masked CRCs. */
function records(file: string): Uint8Array[] {
  const buf = readFileSync(file);
  const list: Uint8Array[] = [];
  for (let at = 0; at < buf.length; ) {
    const len = Number(buf.readBigUInt64LE(at));
    expect(buf.readUInt32LE(at + 8)).toBe(maskedCrc32c(buf.subarray(at, at + 8)));
    const data = buf.subarray(at + 12, at + 12 + len);
    expect(buf.readUInt32LE(at + 12 + len)).toBe(maskedCrc32c(data));
    list.push(data);
    at += 16 + len;
  }
  return list;
}

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});

describe('tensorBoard callback', () => {
  it('writes a file_version event, then per-epoch scalars TensorBoard can read', async () => {
    const logdir = join(root, 'run1');
    const data = blobs(200, 6, 3, 1);
    const m = sequential({ inputSize: 6, seed: 1, engine: 'js', layers: [dense(8, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    const history = await m.fit(data.x, data.y, { epochs: 3, batchSize: 20, validationData: [data.x, data.y], callbacks: [tensorBoard(logdir, { everyReports: 1 })] });
    const files = readdirSync(logdir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\./);
    const events = records(join(logdir, files[0])).map(fields);
    expect(Buffer.from(events[0].get(3)![0] as Uint8Array).toString()).toBe('brain.Event:2');
    const epochScalars = new Map<string, number[]>();
    for (const e of events.slice(1)) {
      const summary = e.get(5);
      if (!summary) continue;
      const step = Number(e.get(2)?.[0] ?? 0n);
      for (const raw of summary.map((s) => fields(s as Uint8Array)).flatMap((s) => s.get(1)!)) {
        const v = fields(raw as Uint8Array);
        const tag = Buffer.from(v.get(1)![0] as Uint8Array).toString();
        const value = Buffer.from(v.get(2)![0] as Uint8Array).readFloatLE(0);
        if (tag.startsWith('epoch/')) epochScalars.set(`${tag}@${step}`, [value]);
      }
    }
    for (const log of history.epochs) {
      expect(epochScalars.get(`epoch/loss@${log.epoch}`)![0]).toBeCloseTo(log.loss, 5);
      expect(epochScalars.get(`epoch/val_accuracy@${log.epoch}`)![0]).toBeCloseTo(log.valAccuracy!, 5);
      expect(epochScalars.get(`epoch/lr@${log.epoch}`)![0]).toBeCloseTo(0.01, 7);
    }
    const batchEvents = events.filter((e) => e.get(5)?.some((s) => Buffer.from(fields(fields(s as Uint8Array).get(1)![0] as Uint8Array).get(1)![0] as Uint8Array).toString() === 'batch/loss'));
    expect(batchEvents.length).toBe(3);
  });

  it('rejects a bad logdir or option', () => {
    expect(() => tensorBoard('')).toThrow(/tensorBoard\(logdir\): expected a folder path/);
    expect(() => tensorBoard('x', { everyReports: -1 })).toThrow(RangeError);
  });
});
