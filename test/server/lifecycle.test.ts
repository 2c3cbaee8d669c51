// Lifecycle: create/dispose cycles leak nothing; forgotten models are freed by the collector.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe.each(engineNames())('%s engine lifecycle', (engine) => {
  it('RSS and heap stay flat over 1000 create/compile/fit/dispose cycles after warm-up; dropped models are freed by gc', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', fixture('lifecycle.mjs'), engine]);
    const r = JSON.parse(stdout);
    expect(r.liveAfterDispose).toBe(0);
    expect(r.liveBeforeGc).toBeGreaterThan(1);
    expect(r.liveAfterGc).toBe(0);
    // A leaked model would add ≥ 300 KB per cycle (≥ 300 MB in each window); allocator noise
    // reaches ~9 MB alone and, in one window of two, up to ~115 MB with the rest of the suite
    // running in parallel (rssGrowth is the smaller window's), so the bound sits between.
    expect(r.rssGrowth).toBeLessThan(96 * 1024 * 1024);
    expect(r.heapGrowth).toBeLessThan(1024 * 1024);
  });
});
