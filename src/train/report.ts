/**
 * DIR/report.html: one self-contained page (uPlot, its CSS and the shared chart module src/train/charts.ts
 * inlined, the metrics embedded as JSON) with the training curves — accuracy, loss, learning rate — and,
 * with NR, utilization with its target and λ, alive neurons per layer, widths before/after the surgery
 * and dense vs effective parameters, the surgery marked on every epoch axis (`reportCharts`). Rewritten
 * after every epoch; opens from disk without a server or network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './checkpoint.js';
import { chartKit, type ChartSpec } from './charts.js';

export type MetricsRow = Record<string, unknown> & { epoch: number };

const STANDARD = new Set(['epoch', 'lr', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'imagesPerSec', 'params', 'seconds', 'step']);

let assets: { js: string; css: string } | null = null;
function uplotAssets(): { js: string; css: string } {
  if (!assets) {
    const req = createRequire(import.meta.url);
    const dir = join(dirname(req.resolve('uplot/package.json')), 'dist');
    assets = { js: readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dir, 'uPlot.min.css'), 'utf8') };
  }
  return assets;
}

/** Keys charted by name below (or not charts at all); any other numeric key a plugin adds gets its own chart. */
const KNOWN = new Set([...STANDARD, 'trainObjective', 'trainLossS', 'trainLossR', 'utilization', 'lambda', 'target', 'alivePerLayer', 'aliveSPerLayer', 'aliveRPerLayer',
  'convParams', 'effectiveParams', 'phase', 'surgery', 'rejuvenated', 'forcedAtEpoch', 'targetNotReached']);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

interface SurgeryRow {
  epoch: number;
  utilization: number;
  target: number;
  forced: boolean;
  layers: string[];
  alive: number[];
  widthsBefore: number[];
  widths: number[];
}

/**
 * The report's charts, from metrics.jsonl rows: accuracy, loss, learning rate; with NR, utilization
 * with its target and λ, alive neurons per layer (by layer name), widths before/after the surgery and
 * dense vs effective parameters. The surgery (and an unreached target) is marked on every epoch axis.
 */
export function reportCharts(rows: MetricsRow[], layerNames?: readonly string[]): ChartSpec[] {
  const x = rows.map((r) => r.epoch);
  const col = (k: string, scale = 1) => rows.map((r) => (num(r[k]) === null ? null : num(r[k])! * scale));
  const has = (k: string) => rows.some((r) => r[k] !== undefined && r[k] !== null);
  const surgery = rows.find((r) => r.surgery)?.surgery as SurgeryRow | undefined;
  const unreached = rows.find((r) => r.targetNotReached) as MetricsRow | undefined;
  const markers = [
    ...(surgery ? [{ x: surgery.epoch, label: `surgery${surgery.forced ? ' (forced)' : ''}: u ${surgery.utilization.toFixed(3)}` }] : []),
    ...(unreached ? [{ x: unreached.epoch, label: 'monitoring ended: target not reached' }] : []),
  ];
  const base = { x, xLabel: 'epoch', xWhole: true, markers };
  const charts: ChartSpec[] = [
    { ...base, id: 'accuracy', title: 'accuracy', yLabel: 'accuracy (%)', series: [{ label: 'train', values: col('trainAcc', 100) }, { label: 'test', values: col('testAcc', 100) }] },
    {
      ...base, id: 'loss', title: 'loss (cross-entropy of the prediction)', yLabel: 'loss', yLog: true,
      series: [{ label: 'train', values: col('trainLoss') }, { label: 'test', values: col('testLoss') }, ...(has('trainObjective') ? [{ label: 'train objective CE_S + CE_R', values: col('trainObjective'), dash: [6, 3] }] : [])],
    },
    { ...base, id: 'lr', title: 'learning rate', yLabel: 'learning rate', yLog: true, series: [{ label: 'lr', values: col('lr') }] },
  ];
  if (has('utilization')) {
    const target = surgery?.target ?? num(unreached?.targetNotReached && (unreached.targetNotReached as { target: number }).target) ?? num(rows.find((r) => num(r.target) !== null)?.target);
    charts.push({
      ...base, id: 'utilization', title: 'utilization and λ', yLabel: 'utilization', yRange: [0, 1.05], y2Label: 'λ',
      series: [{ label: 'utilization', values: col('utilization') }, { label: 'λ', values: col('lambda'), axis: 1 }],
      hlines: target === null ? [] : [{ value: target, label: `target T = ${target}` }],
    });
  }
  const alive = rows.map((r) => (Array.isArray(r.alivePerLayer) ? (r.alivePerLayer as number[]) : null));
  const L = Math.max(0, ...alive.map((a) => a?.length ?? 0));
  if (L > 0) {
    const names = surgery?.layers?.length === L ? surgery.layers : layerNames?.length === L ? [...layerNames] : Array.from({ length: L }, (_, l) => `layer ${l}`);
    charts.push({
      ...base, id: 'alive', title: 'alive neurons per layer', yLabel: 'alive neurons',
      series: names.map((name, l) => ({ label: name, values: alive.map((a) => a?.[l] ?? null), ...OVERLAP(l) })),
    });
  }
  if (surgery) {
    charts.push({
      id: 'widths', title: `widths before and after the surgery (epoch ${surgery.epoch})`, x: surgery.layers.map((_n, i) => i), xLabel: 'layer', categories: surgery.layers, yLabel: 'channels', yRange: [0, Math.ceil(1.1 * Math.max(...surgery.widths, ...surgery.widthsBefore))],
      series: [{ label: `before (${surgery.alive.reduce((a, b) => a + b, 0)} of ${surgery.widthsBefore.reduce((a, b) => a + b, 0)} alive)`, values: surgery.widthsBefore }, { label: 'after', values: surgery.widths }],
    });
  }
  if (has('convParams')) {
    charts.push({
      ...base, id: 'params', title: 'parameters', yLabel: 'parameters',
      series: [{ label: 'all parameters', values: col('params') }, { label: 'conv (dense)', values: col('convParams') }, { label: 'conv (effective)', values: col('effectiveParams'), dash: [6, 3] }],
    });
  }
  const extra: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!KNOWN.has(k) && !extra.includes(k) && typeof r[k] === 'number') extra.push(k);
  for (const k of extra) charts.push({ ...base, id: k, title: k, yLabel: k, series: [{ label: k, values: col(k) }] });
  return charts;
}

const OVERLAP = chartKit().overlapStyle;

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
// Safe inside <script>: no "</script" or "<!--" can appear in the JSON.
const jsonForScript = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function renderReport(title: string, summary: Record<string, unknown>, rows: MetricsRow[], layerNames?: readonly string[]): string {
  const { js, css } = uplotAssets();
  const charts = reportCharts(rows, layerNames);
  const table = Object.entries(summary).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`).join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${css}
body{font:14px system-ui,sans-serif;margin:20px;color:#222}h1{font-size:20px}
#charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #ddd;padding:8px}
table{border-collapse:collapse;margin-bottom:16px}th,td{text-align:left;padding:2px 10px;border-bottom:1px solid #eee;font-weight:normal}th{color:#666}</style>
</head><body>
<h1>${esc(title)}</h1>
<table>${table}</table>
<div id="charts"></div>
<script>${js}</script>
<script>
// src/train/charts.ts, the chart module the browser page uses too.
const chartKit = ${chartKit.toString()};
const kit = chartKit();
const rows = ${jsonForScript(rows)};
const charts = ${jsonForScript(charts)};
for (const c of charts) {
  const div = document.createElement('div');
  div.className = 'chart';
  div.dataset.chart = c.id;
  document.getElementById('charts').appendChild(div);
  kit.mount(uPlot, div, c, { width: 520, height: 280 });
}
</script>
</body></html>
`;
}

export function writeReport(file: string, title: string, summary: Record<string, unknown>, rows: MetricsRow[], layerNames?: readonly string[]): void {
  writeFileAtomic(file, new TextEncoder().encode(renderReport(title, summary, rows, layerNames)));
}
