// fast-check fuzzing of the public API and the raw binding in a child process: every run
// succeeds with finite outputs or throws a documented error; never a crash or a hang.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineNames } from '../helpers/engines.js';

const script = fileURLToPath(new URL('../fixtures/fuzz.mjs', import.meta.url));
const runs = process.env.DOWNHILL_FUZZ_RUNS ?? '1000';

describe.each(engineNames())('%s engine under fuzzing', (engine) => {
  it(`${runs} random argument sets: documented errors only, no signal exit`, () => {
    const r = spawnSync(process.execPath, [script, engine, runs, '20261126'], { encoding: 'utf8', timeout: 240_000 });
    expect(r.signal, r.stderr.slice(-2000)).toBeNull();
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.publicApi).toBe('ok');
    // Not vacuous: a good share of the runs get through validation and train.
    expect(out.trained).toBeGreaterThan(Number(runs) / 20);
    if (engine === 'native') {
      expect(out.rawBinding).toBe('ok');
      expect(out.rawCompleted).toBeGreaterThan(Number(runs) / 20);
    }
  }, 300_000);
});
