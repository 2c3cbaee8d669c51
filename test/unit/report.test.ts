// report.html: the charts and tables are there; rendered in headless Chromium when available.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adam, dense, sequential } from '../../lib/index.js';
import { confusionSummary, report } from '../../lib/report/report.js';
import { pca } from '../../lib/report/pca.js';
import { blobs } from '../helpers/data.js';

const root = mkdtempSync(join(tmpdir(), 'downhill-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pca', () => {
  it('finds the direction of largest variance and its share', () => {
    // Points along (1, 1) with a little spread along (1, −1).
    const x = new Float32Array(200 * 2);
    for (let i = 0; i < 200; i++) {
      const t = Math.floor(i / 2) / 5 - 10;
      const e = i % 2 ? 0.1 : -0.1; // both signs at every t: the axes are exactly (1, 1) and (1, −1)
      x[2 * i] = t + e;
      x[2 * i + 1] = t - e;
    }
    const { coords, explained } = pca(x, 2, 2);
    expect(explained[0]).toBeGreaterThan(0.99);
    expect(explained[0] + explained[1]).toBeCloseTo(1, 9);
    // PC1 is ±(1, 1)/√2 and PC2 ±(1, −1)/√2, applied to the centred rows.
    let mx = 0;
    let my = 0;
    for (let i = 0; i < 200; i++) (mx += x[2 * i] / 200), (my += x[2 * i + 1] / 200);
    for (const i of [0, 57, 199]) {
      expect(Math.abs(coords[2 * i])).toBeCloseTo(Math.abs((x[2 * i] - mx + x[2 * i + 1] - my) / Math.SQRT2), 4);
      expect(Math.abs(coords[2 * i + 1])).toBeCloseTo(Math.abs((x[2 * i] - mx - (x[2 * i + 1] - my)) / Math.SQRT2), 4);
    }
  });
});

describe('confusionSummary', () => {
  it('counts and macro-averages (a never-predicted class has precision 0)', () => {
    const s = confusionSummary([0, 0, 1, 1, 2], [0, 1, 1, 1, 1], 3);
    expect(s.confusion).toEqual([[1, 1, 0], [0, 2, 0], [0, 1, 0]]);
    expect(s.precision).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
    expect(s.recall).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(s.f1).toBeCloseTo((2 / 3 + 2 / 3 + 0) / 3, 12);
  });
});

describe('report callback', () => {
  it('writes a self-contained report.html with curves, metrics, confusion matrix and projection', async () => {
    const train = blobs(600, 10, 4, 1);
    const test = blobs(200, 10, 4, 2);
    const model = sequential({ inputSize: 10, seed: 1, engine: 'js', layers: [dense(16, { activation: 'relu' }), dense(8, { activation: 'relu' }), dense(4, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    const dir = join(root, 'r1');
    await model.fit(train.x, train.y, {
      epochs: 4,
      validationData: [test.x, test.y],
      callbacks: [report(dir, { model, testData: [test.x, test.y], classNames: ['a', 'b', 'c', 'd'], sample: 150 })],
    });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const charts = html.match(/<div class="chart" data-chart[^>]*><svg/g) ?? [];
    expect(charts.length).toBe(5);
    expect(html).toMatch(/Confusion matrix \(test set\)/);
    expect(html).toMatch(/PCA of 150 test rows/);
    expect(html).toMatch(/total params: 348/);
    expect((html.match(/<tr><td>\d+<\/td>/g) ?? []).length).toBe(4);
    expect(html).toMatch(/F1 \(macro\)/);
  });

  it('rejects a missing model', () => {
    expect(() => report('x', {} as never)).toThrow(/report\(options.model\): expected the model being trained/);
  });
});

describe.runIf(existsSync('/usr/bin/chromium'))('report in headless Chromium', () => {
  it('renders every chart with drawn marks, and saves a screenshot', async () => {
    const { chromium } = await import('playwright-core');
    const train = blobs(300, 10, 3, 3);
    const model = sequential({ inputSize: 10, seed: 2, engine: 'js', layers: [dense(12, { activation: 'relu' }), dense(3, { activation: 'softmax' })] });
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
    const dir = join(root, 'r2');
    await model.fit(train.x, train.y, { epochs: 3, validationData: [train.x, train.y], callbacks: [report(dir, { model, testData: [train.x, train.y] })] });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${join(dir, 'report.html')}`);
      const charts = await page.$$eval('[data-chart] svg', (svgs) => svgs.map((s) => ({ w: s.getBoundingClientRect().width, paths: s.querySelectorAll('path').length })));
      expect(charts.length).toBe(5);
      for (const c of charts) {
        expect(c.w).toBeGreaterThan(100);
        expect(c.paths).toBeGreaterThan(3);
      }
      // The loss chart has one point per epoch per series (train and validation).
      const points = await page.$$eval('[data-chart]:first-child svg .mark-symbol.role-mark path', (p) => p.length);
      expect(points).toBe(6);
      await page.screenshot({ path: join(process.env.DOWNHILL_ARTIFACTS ?? dir, 'report.png'), fullPage: true });
      if (process.env.DOWNHILL_KEEP_REPORT) await page.screenshot({ path: process.env.DOWNHILL_KEEP_REPORT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
