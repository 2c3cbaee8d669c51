/** Chooses the engine: 'auto' (native when it loads), 'native' or 'js'; DOWNHILL_ENGINE overrides 'auto'. */
import { DownhillError, rangeError } from '../errors.js';
import { loadAddon } from './binding.js';
import type { Engine } from './engine.js';
import { jsEngine } from './js/index.js';
import { nativeEngine } from './native.js';

export type EngineChoice = 'auto' | 'native' | 'js';
export const engineChoices: readonly EngineChoice[] = ['auto', 'native', 'js'];

let native: Engine | undefined;
let warned = false;

/** The native engine, or the reason it is unavailable. */
export function tryNativeEngine(): { engine?: Engine; error?: Error } {
  const loaded = loadAddon();
  if (loaded.error) return { error: loaded.error };
  native ??= nativeEngine(loaded.addon);
  return { engine: native };
}

function fromEnvironment(): EngineChoice {
  const value = process.env.DOWNHILL_ENGINE;
  if (value === undefined || value === '') return 'auto';
  if (!(engineChoices as readonly string[]).includes(value)) {
    throw rangeError('DOWNHILL_ENGINE', "'auto', 'native' or 'js'", value);
  }
  return value as EngineChoice;
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0] ?? String(error);
}

/** Resolves a choice to an engine. 'native' throws ERR_DOWNHILL_NATIVE_LOAD when the addon does not load. */
export function selectEngine(choice: EngineChoice = 'auto'): Engine {
  const wanted = choice === 'auto' ? fromEnvironment() : choice;
  if (wanted === 'js') return jsEngine;
  const { engine, error } = tryNativeEngine();
  if (engine) return engine;
  if (wanted === 'native') {
    throw new DownhillError(
      'ERR_DOWNHILL_NATIVE_LOAD',
      `engine 'native' was asked for but the native addon does not load (${firstLine(error!)}); run \`npm run build:native\` or use engine 'js'`,
      { cause: error },
    );
  }
  if (!warned) {
    warned = true;
    process.stderr.write(`downhill: using the pure-TypeScript engine (native addon unavailable: ${firstLine(error!)})\n`);
  }
  return jsEngine;
}
