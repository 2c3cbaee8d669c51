/**
 * `downhill bench --out DIR`: the training comparison as a chart (bench-train.svg, also inside
 * bench.html) and a Markdown table (bench.md) for the README — downhill native and pure TS
 * against TensorFlow.js CPU/WASM and PyTorch, samples/s per batch size, from one run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderSvg } from '../report/charts.js';
import type { BenchResult } from './bench.js';

interface Bar {
  trainer: string;
  batch: number;
  samplesPerSecond: number;
}

/** One bar per trainer and batch: downhill at its best thread count, peers at their best setting. */
export function trainBars(res: BenchResult): Bar[] {
  const bars: Bar[] = [];
  const best = (rows: { batch: number; samplesPerSecond: number }[], batch: number) => Math.max(0, ...rows.filter((r) => r.batch === batch).map((r) => r.samplesPerSecond));
  const batches = [...new Set(res.train.map((r) => r.batch))].filter((b) => b > 1).sort((a, b) => a - b);
  for (const batch of batches) {
    const add = (trainer: string, v: number) => v > 0 && bars.push({ trainer, batch, samplesPerSecond: v });
    add('downhill native', best(res.train.filter((r) => r.engine === 'native'), batch));
    add('downhill TS', best(res.train.filter((r) => r.engine === 'js'), batch));
    add('PyTorch (CPU)', best((res.peers?.torch?.train ?? []).filter((r) => r.setting !== 'intra2'), batch));
    add('TensorFlow.js WASM', best((res.peers?.tfjs?.train ?? []).filter((r) => r.backend === 'tfjs-wasm'), batch));
    add('TensorFlow.js CPU', best((res.peers?.tfjs?.train ?? []).filter((r) => r.backend === 'tfjs-cpu'), batch));
  }
  return bars;
}

export function markdownTable(bars: Bar[]): string {
  const trainers = [...new Set(bars.map((b) => b.trainer))];
  const batches = [...new Set(bars.map((b) => b.batch))];
  const cell = (t: string, b: number) => {
    const v = bars.find((x) => x.trainer === t && x.batch === b)?.samplesPerSecond;
    return v === undefined ? '–' : Math.round(v).toLocaleString('en-US');
  };
  return [
    `| trainer | ${batches.map((b) => `batch ${b}`).join(' | ')} |`,
    `|---|${batches.map(() => '---:').join('|')}|`,
    ...trainers.map((t) => `| ${t} | ${batches.map((b) => cell(t, b)).join(' | ')} |`),
  ].join('\n');
}

export async function writeBenchReport(dir: string, res: BenchResult, runs: number): Promise<void> {
  const bars = trainBars(res);
  const svg = await renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Training throughput, 784-256-128-64-10 + Adam on MNIST rows', subtitle: `median of ${runs} runs in one session, ${String(res.machine.cpu)}, ${String(res.machine.cores)} cores` },
    width: 150,
    height: 260,
    data: { values: bars },
    mark: { type: 'bar' },
    encoding: {
      column: { field: 'batch', type: 'ordinal', title: 'batch size' },
      x: { field: 'trainer', type: 'nominal', title: null, axis: { labels: false, ticks: false }, sort: ['downhill native', 'downhill TS', 'PyTorch (CPU)', 'TensorFlow.js WASM', 'TensorFlow.js CPU'] },
      // Bars on a log scale need a finite base: they rise from 100 samples/s.
      y: { field: 'samplesPerSecond', type: 'quantitative', title: 'samples/s (log scale)', scale: { type: 'log', domainMin: 100 } },
      y2: { datum: 100 },
      color: { field: 'trainer', type: 'nominal', title: null, sort: ['downhill native', 'downhill TS', 'PyTorch (CPU)', 'TensorFlow.js WASM', 'TensorFlow.js CPU'] },
      tooltip: [{ field: 'trainer' }, { field: 'samplesPerSecond', format: ',.0f' }],
    },
  });
  const table = markdownTable(bars);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'bench-train.svg'), svg);
  await writeFile(join(dir, 'bench.md'), `${table}\n`);
  await writeFile(join(dir, 'bench.json'), JSON.stringify(res, null, 2) + '\n');
  await writeFile(
    join(dir, 'bench.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>downhill bench</title>
<style>body{font:14px system-ui,sans-serif;margin:24px auto;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 10px;text-align:right}</style>
</head><body><h1>downhill bench</h1><div data-chart>${svg}</div>
<p>Machine: ${String(res.machine.cpu)}, ${String(res.machine.cores)} cores, node ${String(res.machine.node)}; medians of ${runs} runs.</p>
<pre>${table.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre></body></html>
`,
  );
}
