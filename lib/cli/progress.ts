/** A one-line progress bar redrawn in place on a TTY stream. */
import type { WriteStream } from 'node:tty';

export class ProgressBar {
  private lastDraw = 0;
  constructor(private readonly stream: WriteStream, private readonly width = 30) {}

  /** Redraws at most every 50 ms, and always when done == total. */
  update(label: string, done: number, total: number, suffix: string): void {
    const now = performance.now();
    if (done < total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const filled = Math.round((done / total) * this.width);
    const bar = '█'.repeat(filled) + '░'.repeat(this.width - filled);
    this.stream.write(`\r${label} ${bar} ${done}/${total} ${suffix}\x1b[K`);
  }

  clear(): void {
    this.stream.write('\r\x1b[K');
  }
}
