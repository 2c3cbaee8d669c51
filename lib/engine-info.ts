import type { EngineInfo } from './engine/engine.js';
import { selectEngine, type EngineChoice } from './engine/select.js';

/**
 * The engine a model built with `engine: choice` would use: name, instruction set, threads, version.
 * @example engineInfo() // { name: 'native', isa: 'avx2', threads: 2, version: '0.1.0' }
 */
export function engineInfo(choice: EngineChoice = 'auto'): EngineInfo {
  return selectEngine(choice).info();
}
