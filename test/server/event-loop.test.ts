// The event loop keeps serving while models train: delay measured with
// perf_hooks.monitorEventLoopDelay and fs.readFile latency, in a child process. The bounds are
// generous so a loaded CI machine does not flake; `node bench/soak.mjs` reports the real figures.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/event-loop.mjs', import.meta.url));

describe.each(engineNames())('%s engine keeps the event loop responsive', (engine) => {
  it('during one fit: p99 loop delay and fs.readFile latency stay bounded', async () => {
    const { stdout } = await run(process.execPath, [script, engine, '1', '2']);
    const r = JSON.parse(stdout);
    expect(r.reads).toBeGreaterThan(10);
    expect(r.p99DelayMs).toBeLessThan(250);
    expect(r.readFileMaxMs).toBeLessThan(1000);
  });

  // Native: more fits than libuv has threads. Jobs parked on libuv's pool starved fs (readFile
  // p50 90-170 ms when the native engine still ran there; 0.3 ms since, max 20-35 ms). The pure-TS
  // engine trains on the JS thread itself, so reads wait for its yields: only a loose bound there.
  const fits = engine === 'native' ? 5 : 3;
  it(`during ${fits} concurrent fits with UV_THREADPOOL_SIZE=4: fs is not starved`, async () => {
    const { stdout } = await run(process.execPath, [script, engine, String(fits), '2'], { env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
    const r = JSON.parse(stdout);
    expect(r.reads).toBeGreaterThan(5);
    expect(r.p99DelayMs).toBeLessThan(250);
    if (engine === 'native') {
      expect(r.readFileP50Ms).toBeLessThan(40);
      expect(r.readFileMaxMs).toBeLessThan(500);
    } else {
      expect(r.readFileMaxMs).toBeLessThan(1000);
    }
  });
});
