import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsv, oneHot } from '../../lib/datasets/csv.js';
import { DataError } from '../../lib/errors.js';

const root = mkdtempSync(join(tmpdir(), 'downhill-csv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const file = (text: string) => {
  const path = join(root, `f${k++}.csv`);
  writeFileSync(path, text);
  return path;
};

describe('loadCsv', () => {
  it('reads numeric features and a categorical label (classes sorted by name)', () => {
    const d = loadCsv(file('a,b,species\n1,2,setosa\n3.5,-4,virginica\n0,1e-3,setosa\n'), { label: 'species' });
    expect(d.n).toBe(3);
    expect(d.features).toEqual(['a', 'b']);
    expect(Array.from(d.x)).toEqual([1, 2, 3.5, -4, 0, Math.fround(1e-3)]);
    expect(d.classes).toEqual(['setosa', 'virginica']);
    expect(Array.from(d.y)).toEqual([0, 1, 0]);
  });

  it('orders numeric class labels numerically', () => {
    const d = loadCsv(file('x,y\n1,10\n2,9\n3,10\n'), { label: 'y' });
    expect(d.classes).toEqual(['9', '10']);
    expect(Array.from(d.y)).toEqual([1, 0, 1]);
  });

  it('keeps a numeric label as a regression target when asked', () => {
    const d = loadCsv(file('x,price\n1,10.5\n2,9.25\n'), { label: 'price', labelType: 'numeric' });
    expect(d.y).toBeInstanceOf(Float32Array);
    expect(Array.from(d.y)).toEqual([10.5, 9.25]);
  });

  it('selects features by name or index, and works without a header', () => {
    const d = loadCsv(file('a,b,c,l\n1,2,3,x\n4,5,6,y\n'), { label: 'l', features: ['c', 0] });
    expect(d.features).toEqual(['c', 'a']);
    expect(Array.from(d.x)).toEqual([3, 1, 6, 4]);
    const h = loadCsv(file('1;2;x\n3;4;y\n'), { label: 2, header: false, delimiter: ';' });
    expect(Array.from(h.x)).toEqual([1, 2, 3, 4]);
  });

  it('one-hot encodes class indices', () => {
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow(RangeError);
  });
});

describe('loadCsv errors name the file, row and column', () => {
  const cases: [string, string, object, RegExp][] = [
    ['a non-numeric cell', 'a,b,l\n1,2,x\n3,abc,y\n', { label: 'l' }, /row 3, column 'b': expected a finite number, received "abc"/],
    ['an empty cell', 'a,b,l\n1,,x\n', { label: 'l' }, /row 2, column 'b': expected a finite number, received ""/],
    ['NaN text', 'a,l\nNaN,x\n', { label: 'l' }, /row 2, column 'a': expected a finite number, received "NaN"/],
    ['an unknown label column', 'a,b\n1,2\n', { label: 'z' }, /has no label column 'z' \(columns: a, b\)/],
    ['a label index out of range', 'a,b\n1,2\n', { label: 5 }, /label column 5 is outside the 2 columns/],
    ['ragged rows', 'a,b,l\n1,2,x\n3,y\n', { label: 'l' }, /is not valid CSV/],
    ['a header only', 'a,b,l\n', { label: 'l' }, /has a header but no data rows/],
    ['an empty file', '', { label: 'l' }, /is empty/],
    ['the label also a feature', 'a,l\n1,x\n', { label: 'l', features: ['l'] }, /column 'l' is both the label and a feature/],
    ['an empty label', 'a,l\n1,\n', { label: 'l' }, /row 2, column 'l': the label is empty/],
  ];
  it.each(cases)('%s', (_, text, options, message) => {
    const path = file(text);
    let err: unknown;
    try {
      loadCsv(path, options as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message.startsWith(path)).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('a missing file', () => {
    expect(() => loadCsv(join(root, 'none.csv'), { label: 'l' })).toThrow(/none.csv: cannot be read \(ENOENT\)/);
  });

  it('unknown options are a TypeError', () => {
    expect(() => loadCsv(file('a,l\n1,x\n'), { label: 'l', lable: 'x' } as never)).toThrow(TypeError);
  });
});
