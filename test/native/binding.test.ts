// Bad input straight to the raw addon (bypassing lib/): every case throws a JS error in a
// child process that then exits 0; never a signal (SIGSEGV/SIGABRT/SIGILL).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../lib/engine/binding.js';

const script = fileURLToPath(new URL('../fixtures/raw-binding-case.cjs', import.meta.url));
// loadAddon honours DOWNHILL_ADDON_PATH (scripts/test-asan.sh points it at the sanitizer build).
const loads = loadAddon().addon !== undefined;

describe.runIf(loads)('raw binding rejects bad input without crashing', () => {
  const list: [string, [string, string] | null][] = loads ? JSON.parse(execFileSync(process.execPath, [script, '--list'], { encoding: 'utf8' })) : [];
  it.each(list)('%s', (name, expected) => {
    const r = spawnSync(process.execPath, [script, name], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.threw).toBe(true);
    expect(['TypeError', 'RangeError', 'Error']).toContain(out.name);
    expect(out.message.length).toBeGreaterThan(10);
    if (expected) {
      expect(out.name).toBe(expected[0]);
      expect(out.message).toContain(expected[1]);
    }
  });
});
