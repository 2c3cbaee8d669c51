/**
 * TensorBoard event files: TFRecord framing (length, masked CRC-32C of the length, an Event
 * protobuf, masked CRC-32C of the data) holding scalar summaries that TensorBoard reads.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ProtoWriter } from '../io/protobuf.js';
import type { Callback, EpochLog } from '../train/callbacks.js';
import { checkInteger, checkKnownKeys, checkObject } from '../validate.js';
import { typeError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';

/** One TFRecord: [u64 length][u32 masked crc(length)][data][u32 masked crc(data)], little-endian. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** An Event with wall_time (1), step (2), and either file_version (3) or a scalar Summary (5). */
export function scalarEvent(wallTime: number, step: number, scalars: Record<string, number>): Uint8Array {
  const w = new ProtoWriter().double(1, wallTime).int(2, step);
  w.message(5, (summary) => {
    for (const [tag, value] of Object.entries(scalars)) summary.message(1, (v) => v.string(1, tag).float(2, value));
  });
  return w.finish();
}

/** Appends events to one `events.out.tfevents.*` file in `logdir`, fsynced after each write. */
export class EventWriter {
  readonly path: string;
  private fd: number;

  constructor(logdir: string) {
    mkdirSync(logdir, { recursive: true });
    const now = Date.now() / 1000;
    this.path = join(logdir, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.path, 'a');
    this.write(new ProtoWriter().double(1, now).string(3, 'brain.Event:2').finish());
  }

  private write(event: Uint8Array): void {
    const record = tfRecord(event);
    let offset = 0;
    while (offset < record.length) offset += writeSync(this.fd, record, offset);
    fsyncSync(this.fd);
  }

  scalars(step: number, values: Record<string, number>): void {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
    if (Object.keys(finite).length > 0) this.write(scalarEvent(Date.now() / 1000, step, finite));
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export interface TensorBoardOptions {
  /** Also log the running training loss every this many engine reports (chunks of batches). Default 0: epochs only. */
  everyReports?: number;
}

/**
 * A fit callback writing TensorBoard scalars: loss, accuracy, valLoss, valAccuracy and lr per
 * epoch (step = epoch), and optionally the running batch loss.
 * @example await model.fit(x, y, { epochs: 10, callbacks: [tensorBoard('runs/exp1')] })
 */
export function tensorBoard(logdir: string, options: TensorBoardOptions = {}): Callback {
  if (typeof logdir !== 'string' || logdir === '') throw typeError('tensorBoard(logdir)', 'a folder path', logdir);
  const o = checkObject('tensorBoard(options)', options);
  checkKnownKeys('tensorBoard(options)', o, ['everyReports']);
  const every = o.everyReports === undefined ? 0 : checkInteger('tensorBoard(options.everyReports)', o.everyReports, 0);
  let writer: EventWriter | undefined;
  let reports = 0;
  let batchStep = 0;
  return {
    onTrainBegin() {
      writer ??= new EventWriter(logdir);
    },
    onProgress(p) {
      reports++;
      batchStep++;
      if (every > 0 && reports % every === 0) writer?.scalars(batchStep, { 'batch/loss': p.loss });
    },
    onEpochEnd(log: EpochLog) {
      writer?.scalars(log.epoch, {
        'epoch/loss': log.loss,
        'epoch/accuracy': log.accuracy,
        'epoch/val_loss': log.valLoss ?? NaN,
        'epoch/val_accuracy': log.valAccuracy ?? NaN,
        'epoch/lr': log.lr,
      });
    },
    onTrainEnd() {
      writer?.close();
      writer = undefined;
    },
  };
}
