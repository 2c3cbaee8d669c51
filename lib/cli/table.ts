/** Fixed-width text tables for the CLI. */

export interface Column {
  title: string;
  width: number;
}

export function formatRow(columns: Column[], cells: string[]): string {
  return columns.map((c, i) => (cells[i] ?? '').padStart(c.width)).join('  ');
}

export function formatHeader(columns: Column[]): string {
  const titles = formatRow(columns, columns.map((c) => c.title));
  return `${titles}\n${'-'.repeat(titles.length)}`;
}
