#!/usr/bin/env node
/**
 * An SVG of an NR experiment's curves for docs/results.md: utilization (NR runs) and test accuracy
 * (NR runs solid, baselines dashed) by epoch, from the runs' metrics.jsonl. No dependencies.
 *
 *   node scripts/nr-plot.mjs --runs runs/spec81 --seeds 0,1,2,3 --out docs/spec81-curves.svg --title "method.md §13.1"
 *   (--nr-label L / --baseline-label L: folders named L-seed<s>; defaults nr, baseline)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const dir = opt('runs', 'runs/spec81');
const seeds = opt('seeds', '0,1,2,3').split(',').map(Number);
const out = opt('out', 'docs/spec81-curves.svg');
const title = opt('title', dir);

const rows = (label, seed) => {
  const f = join(dir, `${label}-seed${seed}`, 'metrics.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : null;
};
// --nr-label / --baseline-label: the run folders' prefix (<label>-seed<s>), e.g. nr-lambda0.01 for nr-experiment.mjs --real-data.
const nr = seeds.map((s) => rows(opt('nr-label', 'nr'), s)).filter(Boolean);
const base = seeds.map((s) => rows(opt('baseline-label', 'baseline'), s)).filter(Boolean);
const maxEpoch = Math.max(...[...nr, ...base].map((r) => r.length));

const W = 760, H = 300, pad = { l: 48, r: 12, t: 28, b: 36 }, gap = 40, pw = (W - pad.l - pad.r - gap) / 2, ph = H - pad.t - pad.b;
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const parts = [];
function panel(x0, name, yMin, yMax, series, yFmt) {
  const sx = (e) => x0 + ((e - 1) / Math.max(1, maxEpoch - 1)) * pw, sy = (v) => pad.t + ph - ((v - yMin) / (yMax - yMin)) * ph;
  parts.push(`<text x="${x0 + pw / 2}" y="${pad.t - 10}" text-anchor="middle" font-size="13">${name}</text>`);
  parts.push(`<rect x="${x0}" y="${pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    parts.push(`<line x1="${x0}" x2="${x0 + pw}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/><text x="${x0 - 4}" y="${sy(v) + 4}" text-anchor="end" font-size="10">${yFmt(v)}</text>`);
  }
  for (let e = 5; e <= maxEpoch; e += 5) parts.push(`<text x="${sx(e)}" y="${pad.t + ph + 14}" text-anchor="middle" font-size="10">${e}</text>`);
  parts.push(`<text x="${x0 + pw - 2}" y="${pad.t + ph + 26}" text-anchor="end" font-size="11">epoch</text>`);
  for (const s of series) {
    const pts = s.points.filter(([, v]) => v !== null && v !== undefined).map(([e, v]) => `${sx(e).toFixed(1)},${sy(Math.min(yMax, Math.max(yMin, v))).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts.join(' ')}"/>`);
    if (s.mark) parts.push(`<circle cx="${sx(s.mark[0])}" cy="${sy(s.mark[1])}" r="3" fill="${s.color}"/>`);
  }
}
const surgeryOf = (r) => r.find((x) => x.surgery || x.rejuvenated);
panel(pad.l, `${title}: utilization (NR runs; dot = surgery)`, 0, 1,
  nr.map((r, i) => ({ color: colors[i], points: r.map((x) => [x.epoch, x.utilization]), mark: surgeryOf(r) ? [surgeryOf(r).epoch, surgeryOf(r).utilization] : null })), (v) => v.toFixed(2));
panel(pad.l + pw + gap, 'test accuracy (NR solid, baseline dashed)', 0, 1,
  [...nr.map((r, i) => ({ color: colors[i], points: r.map((x) => [x.epoch, x.testAcc]) })), ...base.map((r, i) => ({ color: colors[i], dashed: true, points: r.map((x) => [x.epoch, x.testAcc]) }))], (v) => `${Math.round(v * 100)}%`);
seeds.forEach((s, i) => {
  const x = pad.l + i * 70;
  parts.push(`<line x1="${x}" x2="${x + 18}" y1="${H - 10}" y2="${H - 10}" stroke="${colors[i]}" stroke-width="2"/><text x="${x + 22}" y="${H - 6}" font-size="10">seed ${s}</text>`);
});
writeFileSync(out, `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`);
process.stdout.write(`${out}: ${nr.length} NR runs, ${base.length} baselines, ${maxEpoch} epochs\n`);
