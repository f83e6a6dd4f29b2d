/**
 * report.html in real Chromium, from a tiny NR run with a surgery: every chart the shared chart module
 * (src/train/charts.ts) drew is read back from its uPlot instance — each axis's computed tick labels
 * parse to numbers inside the axis's range and fit the axis width (17928 must not read "8,000"), the
 * surgery marker is drawn on every epoch axis (and is red on the canvas), the alive chart names its
 * layers, the widths chart has before/after bars — and a screenshot is saved under test/artifacts/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePlugin } from '../src/cli/extensions.js';
import '../src/cli/nr.js';
import { DEFAULT_CONFIG } from '../src/train/config.js';
import { Progress } from '../src/train/progress.js';
import { Trainer } from '../src/train/trainer.js';
import { rj } from './helpers/backends.js';
import { launchChromium, root, type Browser } from './helpers/browser.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-report-'));
const artifacts = join(root, 'test/artifacts');
let browser: Browser;
beforeAll(async () => {
  await rj.init({ backend: 'cpu' });
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  rj.close();
  rmSync(dir, { recursive: true, force: true });
});

interface AxisInfo { side: number; show: boolean; labels: string[]; splits: number[]; min: number; max: number; size: number; widest: number; pad: number; distr: number }
interface ChartInfo { id: string; axes: AxisInfo[]; markersDrawn: number; markerRed: boolean | null; series: string[]; width: number }

it('report.html: tick labels readable at any magnitude, surgery marked on every epoch axis, layer names, before/after widths', async () => {
  const out = join(dir, 'nr');
  await new Trainer({
    ...DEFAULT_CONFIG, model: 'vgg_mini', width: 0.5, dataset: 'synthetic', trainLimit: 64, testLimit: 32, batchSize: 32, epochs: 3, lr: 0.05, milestones: [2], seed: 1, out, resume: false,
    plugin: { nr: true, 'nr-target': 0.25, 'nr-lambda': 0.01, 'nr-max-monitor-epochs': 2 },
  }, { makePlugin, progress: new Progress({ write: () => {} } as never) }).run();
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const surgeryEpoch = rows.find((r) => r.surgery)?.surgery.epoch;
  expect(surgeryEpoch).toBe(2);
  expect(Math.max(...rows.map((r) => r.params))).toBeGreaterThan(10_000); // the magnitude whose labels were clipped

  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(pathToFileURL(join(out, 'report.html')).href);
  await page.waitForFunction(() => Object.keys((globalThis as { __rejuvCharts?: object }).__rejuvCharts ?? {}).length >= 7, undefined, { timeout: 20_000 });
  const charts: ChartInfo[] = await page.evaluate(() => {
    const reg = (globalThis as unknown as { __rejuvCharts: Record<string, any> }).__rejuvCharts; // eslint-disable-line @typescript-eslint/no-explicit-any
    const measure = document.createElement('canvas').getContext('2d')!;
    return Object.entries(reg).map(([id, u]) => {
      const axes = u.axes.map((a: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        measure.font = a.font[0];
        const labels: string[] = (a._values ?? []).map(String);
        const sc = u.scales[a.scale];
        return {
          side: a.side, show: a.show !== false, labels, splits: a._splits ?? [], min: sc.min, max: sc.max, size: a._size, distr: sc.distr,
          widest: Math.max(0, ...labels.map((l) => measure.measureText(l).width / devicePixelRatio)), pad: (a.ticks?.size ?? 0) + (a.gap ?? 0),
        };
      });
      const spec = u.spec?.spec;
      let markerRed: boolean | null = null;
      const m = spec?.markers?.[0];
      if (m && !spec.categories) {
        // Sample the canvas down the marker's column: some pixel must be the marker's red.
        const x = Math.round(u.valToPos(m.x, 'x', true));
        const img = u.ctx.getImageData(x - 1, u.bbox.top, 3, u.bbox.height).data;
        markerRed = false;
        for (let p = 0; p < img.length; p += 4) if (img[p] > 180 && img[p + 1] < 60 && img[p + 2] < 60) markerRed = true;
      }
      return { id, axes, markersDrawn: u.markersDrawn ?? 0, markerRed, series: u.series.slice(1).map((s: any) => s.label), width: u.width }; // eslint-disable-line @typescript-eslint/no-explicit-any
    });
  });
  await page.screenshot({ path: join(artifacts, 'report-nr.png'), fullPage: true });
  expect(errors).toEqual([]);
  const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
  expect(Object.keys(byId)).toEqual(expect.arrayContaining(['accuracy', 'loss', 'lr', 'utilization', 'alive', 'widths', 'params']));
  for (const c of charts) {
    for (const a of c.axes) {
      if (!a.show) continue;
      if (c.id === 'widths' && a.side === 2) {
        expect(a.labels, 'widths: x axis names the layers').toEqual(['features.0', 'features.3', 'features.7', 'features.10', 'features.14', 'features.17']);
        continue;
      }
      expect(a.labels.length, `${c.id} axis ${a.side}: some ticks`).toBeGreaterThan(0);
      const eps = (a.max - a.min) * 1e-6 + 1e-12;
      expect(a.labels.filter((l) => l !== '').length, `${c.id} axis ${a.side}: some labelled ticks`).toBeGreaterThan(0);
      a.labels.forEach((l, i) => {
        if (l === '') return; // a tick uPlot leaves unlabelled (log axes label 1, 2, 5 × 10^k)
        const v = Number(l);
        expect(Number.isFinite(v), `${c.id} axis ${a.side}: tick label '${l}' is a number`).toBe(true);
        expect(v, `${c.id} axis ${a.side}: '${l}' within [${a.min}, ${a.max}]`).toBeGreaterThanOrEqual(a.min - eps - Math.abs(a.splits[i] - v));
        expect(v, `${c.id} axis ${a.side}: '${l}' within [${a.min}, ${a.max}]`).toBeLessThanOrEqual(a.max + eps + Math.abs(a.splits[i] - v));
        // The label says its tick's value (to the label's own precision).
        expect(Math.abs(v - a.splits[i]), `${c.id} axis ${a.side}: '${l}' vs tick ${a.splits[i]}`).toBeLessThanOrEqual(Math.abs(a.splits[i]) * 0.05 + 1e-9);
      });
      if (a.side === 1 || a.side === 3) expect(a.widest + a.pad, `${c.id} axis ${a.side}: labels fit the axis (${a.labels.join(' ')})`).toBeLessThanOrEqual(a.size + 0.5);
    }
    if (c.id !== 'widths') {
      expect(c.markersDrawn, `${c.id}: surgery marker drawn`).toBe(1);
      expect(c.markerRed, `${c.id}: surgery marker visible on the canvas`).toBe(true);
    }
  }
  const paramsAxis = byId.params.axes.find((a) => a.side === 3)!;
  expect(Math.max(...paramsAxis.labels.map(Number))).toBeGreaterThanOrEqual(10_000);
  expect(byId.alive.series).toEqual(['features.0', 'features.3', 'features.7', 'features.10', 'features.14', 'features.17']);
  expect(byId.widths.series[0]).toMatch(/^before/);
  expect(byId.widths.series[1]).toBe('after');
  expect(byId.utilization.series).toEqual(['utilization', 'λ']);
  await page.close();
}, 240_000);
