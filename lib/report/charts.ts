/**
 * The report's charts: Vega-Lite specifications rendered to standalone SVG in Node (no
 * browser, no network at view time). Vega-Lite because it is a well-kept declarative grammar
 * whose Node renderer emits plain SVG; hand-written chart code would be worse at axes, scales
 * and legends.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const WIDTH = 420;
const HEIGHT = 240;

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Lines of one or more series over epochs: `[{ epoch, value, series }]`. */
export function lineChart(title: string, yTitle: string, points: { epoch: number; value: number; series: string }[], logScale = false): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: logScale ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** A heat map of confusion counts (rows: true class, columns: predicted). */
export function confusionChart(matrix: number[][], classes: string[]): TopLevelSpec {
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ truth: classes[t], predicted: classes[p], count })));
  const size = Math.max(200, Math.min(480, classes.length * 36));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Confusion matrix (test set)',
    width: size,
    height: size,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: classes, title: 'predicted class' },
      y: { field: 'truth', type: 'ordinal', sort: classes, title: 'true class' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'rows' } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${Math.max(...values.map((v) => v.count)) / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** A scatter of 2-D points coloured by class. */
export function scatterChart(title: string, points: { x: number; y: number; label: string }[], xTitle: string, yTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: WIDTH,
    data: { values: points },
    mark: { type: 'circle', size: 18, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'y', type: 'quantitative', title: yTitle },
      color: { field: 'label', type: 'nominal', title: 'class', scale: { scheme: 'category10' } },
    },
  };
}
