/** A one-line progress bar redrawn in place on a TTY: label, bar, count, rate, ETA and a suffix. */
import type { WriteStream } from 'node:tty';

export class ProgressBar {
  private lastDraw = 0;
  private label = '';
  private started = 0;

  constructor(private readonly stream: WriteStream, private readonly width = 24) {}

  /** Redraws at most every 50 ms, and always when done == total. A new label restarts the clock. */
  update(label: string, done: number, total: number, suffix: string): void {
    const now = performance.now();
    if (label !== this.label) {
      this.label = label;
      this.started = now;
    }
    if (done < total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : 0;
    const filled = Math.round((done / total) * this.width);
    const bar = '█'.repeat(filled) + '░'.repeat(this.width - filled);
    this.stream.write(`\r${label} ${bar} ${done}/${total} · ${suffix} · ${rate.toFixed(0)} it/s · ETA ${eta.toFixed(1)} s\x1b[K`);
  }

  clear(): void {
    this.stream.write('\r\x1b[K');
  }
}
