/**
 * DIR/report.html: one self-contained page (uPlot and its CSS inlined, the metrics embedded as JSON) with
 * the training curves — loss, accuracy, learning rate — and one chart per extra numeric series a plugin
 * adds to metrics.jsonl (e.g. utilization, λ; arrays or objects such as alive neurons per layer become
 * one line per element). Rewritten after every epoch; opens from disk without a server or network.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './checkpoint.js';

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

export interface Chart {
  title: string;
  /** y-axis scale: 'log' for losses and learning rates. */
  log?: boolean;
  series: { label: string; values: (number | null)[] }[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The charts for a run: standard ones, then one per extra key (arrays/objects fan out into lines). */
export function chartsFor(rows: MetricsRow[]): Chart[] {
  const col = (k: string) => rows.map((r) => num(r[k]));
  const charts: Chart[] = [
    { title: 'loss', log: true, series: [{ label: 'train', values: col('trainLoss') }, { label: 'test', values: col('testLoss') }] },
    { title: 'accuracy', series: [{ label: 'train', values: col('trainAcc') }, { label: 'test', values: col('testAcc') }] },
    { title: 'learning rate', log: true, series: [{ label: 'lr', values: col('lr') }] },
  ];
  const extra: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!STANDARD.has(k) && !extra.includes(k)) extra.push(k);
  for (const k of extra) {
    const vals = rows.map((r) => r[k]);
    if (vals.some((v) => typeof v === 'number')) {
      charts.push({ title: k, series: [{ label: k, values: vals.map(num) }] });
    } else if (vals.some((v) => v && typeof v === 'object')) {
      const labels: string[] = [];
      for (const v of vals) if (v && typeof v === 'object') for (const l of Object.keys(v)) if (!labels.includes(l)) labels.push(l);
      if (labels.length === 0 || labels.length > 64) continue;
      charts.push({
        title: k,
        series: labels.map((l) => ({ label: Array.isArray(vals.find((v) => v && typeof v === 'object')) ? `${k}[${l}]` : l, values: vals.map((v) => (v && typeof v === 'object' ? num((v as Record<string, unknown>)[l]) : null)) })),
      });
    }
  }
  return charts;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
// Safe inside <script>: no "</script" or "<!--" can appear in the JSON.
const jsonForScript = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function renderReport(title: string, summary: Record<string, unknown>, rows: MetricsRow[]): string {
  const { js, css } = uplotAssets();
  const charts = chartsFor(rows);
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
const rows = ${jsonForScript(rows)};
const charts = ${jsonForScript(charts)};
const colors = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
const x = rows.map(r => r.epoch);
for (const c of charts) {
  const div = document.createElement('div');
  div.className = 'chart';
  document.getElementById('charts').appendChild(div);
  new uPlot({
    title: c.title, width: 460, height: 260,
    scales: { x: { time: false }, y: c.log ? { distr: 3 } : {} },
    axes: [{ label: 'epoch' }, {}],
    series: [{ label: 'epoch' }, ...c.series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 1.5, points: { show: x.length < 40 } }))],
  }, [x, ...c.series.map(s => s.values.map(v => (c.log && v !== null && v <= 0) ? null : v))], div);
}
</script>
</body></html>
`;
}

export function writeReport(file: string, title: string, summary: Record<string, unknown>, rows: MetricsRow[]): void {
  writeFileAtomic(file, new TextEncoder().encode(renderReport(title, summary, rows)));
}
