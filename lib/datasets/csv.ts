/**
 * CSV tables as training data: numeric feature columns and a label column (categorical
 * labels become class indices with their names in `classes`; numeric labels of a regression
 * stay numbers). Every error names the file, row and column.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError, typeError } from '../errors.js';
import { checkKnownKeys, checkObject } from '../validate.js';

export interface CsvOptions {
  /** Name (with a header) or 0-based index of the label column. */
  label: string | number;
  /** Feature columns, by name or index; default: every column but the label. */
  features?: (string | number)[];
  /** Whether the first row names the columns. Default true. */
  header?: boolean;
  /** Field delimiter. Default ','. */
  delimiter?: string;
  /** 'categorical' (class indices) or 'numeric' (a regression target). Default: 'numeric' when every label parses as a number and there are more than 20 distinct values, else 'categorical'. */
  labelType?: 'categorical' | 'numeric';
}

export interface CsvData {
  /** Row-major n × features.length values. */
  x: Float32Array;
  /** Class indices (categorical) or target values (numeric). */
  y: Int32Array | Float32Array;
  n: number;
  features: string[];
  /** Class names by index (categorical labels), sorted; empty for numeric labels. */
  classes: string[];
}

function columnIndex(file: string, names: string[], column: string | number, what: string): number {
  if (typeof column === 'number') {
    if (!Number.isInteger(column) || column < 0 || column >= names.length) throw new DataError(file, `${what} column ${column} is outside the ${names.length} columns`);
    return column;
  }
  const i = names.indexOf(column);
  if (i < 0) throw new DataError(file, `has no ${what} column '${column}' (columns: ${names.join(', ')})`);
  return i;
}

/** Parses a cell strictly: empty cells, 'abc' or '1.2.3' are errors, not NaN. */
function numberAt(file: string, text: string, row: number, column: string): number {
  const trimmed = text.trim();
  const v = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(v)) throw new DataError(file, `row ${row}, column '${column}': expected a finite number, received ${JSON.stringify(text)}`);
  return v;
}

/**
 * Reads a CSV file into features and labels.
 * @example const { x, y, classes } = loadCsv('iris.csv', { label: 'species' })
 */
export function loadCsv(path: string, options: CsvOptions): CsvData {
  if (typeof path !== 'string') throw typeError('loadCsv(path)', 'a file path', path);
  const o = checkObject('loadCsv(options)', options);
  checkKnownKeys('loadCsv(options)', o, ['label', 'features', 'header', 'delimiter', 'labelType']);
  const header = o.header === undefined ? true : o.header;
  if (typeof header !== 'boolean') throw typeError('loadCsv(options.header)', 'a boolean', header);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataError(path, `cannot be read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  let records: string[][];
  try {
    records = parse(text, { delimiter: (o.delimiter as string | undefined) ?? ',', skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (err) {
    throw new DataError(path, `is not valid CSV: ${(err as Error).message}`, { cause: err });
  }
  if (records.length === 0) throw new DataError(path, 'is empty');
  const width = records[0].length;
  const names = header ? records[0] : Array.from({ length: width }, (_, i) => String(i));
  const rows = header ? records.slice(1) : records;
  if (rows.length === 0) throw new DataError(path, 'has a header but no data rows');
  const labelColumn = columnIndex(path, names, o.label as string | number, 'label');
  const featureColumns = o.features === undefined
    ? names.map((_, i) => i).filter((i) => i !== labelColumn)
    : (o.features as (string | number)[]).map((f) => columnIndex(path, names, f, 'feature'));
  if (featureColumns.length === 0) throw new DataError(path, 'has no feature columns');
  if (featureColumns.includes(labelColumn)) throw new DataError(path, `column '${names[labelColumn]}' is both the label and a feature`);
  const n = rows.length;
  const x = new Float32Array(n * featureColumns.length);
  const rowNumber = (r: number) => r + (header ? 2 : 1);
  rows.forEach((record, r) => {
    featureColumns.forEach((c, j) => {
      x[r * featureColumns.length + j] = numberAt(path, record[c], rowNumber(r), names[c]);
    });
  });
  const labels = rows.map((record) => record[labelColumn]);
  const distinct = [...new Set(labels)];
  const allNumeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  const labelType = o.labelType ?? (allNumeric && distinct.length > 20 ? 'numeric' : 'categorical');
  if (labelType === 'numeric') {
    const y = Float32Array.from(labels, (l, r) => numberAt(path, l, rowNumber(r), names[labelColumn]));
    return { x, y, n, features: featureColumns.map((c) => names[c]), classes: [] };
  }
  if (labelType !== 'categorical') throw typeError('loadCsv(options.labelType)', "'categorical' or 'numeric'", labelType);
  labels.forEach((l, r) => {
    if (l === '') throw new DataError(path, `row ${rowNumber(r)}, column '${names[labelColumn]}': the label is empty`);
  });
  const classes = allNumeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  return { x, y: Int32Array.from(labels, (l) => index.get(l)!), n, features: featureColumns.map((c) => names[c]), classes };
}

/** One-hot rows (n × classes) from class indices. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`oneHot(labels)[${i}]: expected a class index in [0, ${classes - 1}], received ${c}`);
    out[i * classes + c] = 1;
  }
  return out;
}
