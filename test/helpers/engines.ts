/** Which engines this run covers: every engine that loads, or only js under DOWNHILL_ENGINE=js. */
import { tryNativeEngine } from '../../lib/engine/select.js';
import { jsEngine } from '../../lib/engine/js/index.js';
import type { Engine } from '../../lib/engine/engine.js';

export function engines(): Engine[] {
  const list: Engine[] = [];
  if (process.env.DOWNHILL_ENGINE !== 'js') {
    const native = tryNativeEngine().engine;
    if (native) list.push(native);
    else if (process.env.DOWNHILL_ENGINE === 'native') throw new Error('DOWNHILL_ENGINE=native but the addon does not load');
  }
  list.push(jsEngine);
  return list;
}

/** Engine names for describe.each. */
export function engineNames(): ('native' | 'js')[] {
  return engines().map((e) => e.name);
}
