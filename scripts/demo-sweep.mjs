#!/usr/bin/env node
/**
 * The sweep that chooses `rejuv demo`'s regime (issue 13 item 3): every candidate regime runs the demo
 * itself (baseline and NR, equal nominal schedule) for 3 seeds; the table goes into docs/results.md
 * between markers, and `--choose NAME` writes that regime and its 3-seed spread into
 * src/cli/demo-regime.json, which the demo prints beside its own numbers.
 *
 *   node scripts/build.mjs && node scripts/demo-sweep.mjs                 # the grid below, seeds 0,1,2
 *   node scripts/demo-sweep.mjs --choose B --write-results               # after it ran: pick, publish
 *   node scripts/demo-sweep.mjs --regimes 'X:width=0.5,trainLimit=2500,testLimit=1000,epochs=8,lambda=0.01,monitorEpochs=3'
 *
 * Resumable: a (regime, seed) whose result.json exists is reused (delete the folder to redo it).
 * Wall time is the demo process's, both variants and start-up included (the budget is 5 minutes).
 * The rule (issue 13): NR's mean final accuracy is not below the baseline's by more than one standard
 * deviation, taken here as the pooled sample standard deviation of the two variants' per-seed finals.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flag, opt } from './lib/args.mjs';

const cli = opt('cli', join('dist', 'node', 'cli.js'));
const out = opt('out', join('runs', 'demo-sweep'));
const seeds = opt('seeds', '0,1,2').split(',').map(Number);
const BUDGET_S = 300;

/** Candidate regimes: the old default (A) and regimes with more nominal epochs, data and a milder λ. */
const GRID = 'A:width=0.5,trainLimit=2500,testLimit=1000,epochs=4,lambda=0.02,monitorEpochs=3;'
  + 'B:width=0.5,trainLimit=2500,testLimit=1000,epochs=8,lambda=0.01,monitorEpochs=3;'
  + 'C:width=0.5,trainLimit=2500,testLimit=1000,epochs=8,lambda=0.005,monitorEpochs=3;'
  + 'D:width=0.5,trainLimit=4000,testLimit=1000,epochs=6,lambda=0.01,monitorEpochs=3;'
  + 'E:width=0.5,trainLimit=2500,testLimit=1000,epochs=8,lambda=0.0075,monitorEpochs=3';

const regimes = opt('regimes', GRID).split(';').filter(Boolean).map((spec) => {
  const [name, rest] = spec.split(':');
  const r = { name };
  for (const kv of rest.split(',')) {
    const [k, v] = kv.split('=');
    r[k] = Number(v);
  }
  for (const k of ['width', 'trainLimit', 'testLimit', 'epochs', 'lambda', 'monitorEpochs']) {
    if (!Number.isFinite(r[k])) throw new Error(`demo-sweep: regime ${name} lacks ${k} (got '${spec}')`);
  }
  return r;
});

const rows = (dir) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

function runOne(r, seed) {
  const dir = join(out, r.name, `seed${seed}`);
  const file = join(dir, 'result.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  if (flag('no-run')) return null;
  mkdirSync(dir, { recursive: true });
  const args = [cli, 'demo', '--width', r.width, '--train-limit', r.trainLimit, '--test-limit', r.testLimit, '--epochs', r.epochs,
    '--lambda', r.lambda, '--monitor-epochs', r.monitorEpochs, '--seed', seed, '--out', dir].map(String);
  console.error(`[demo-sweep] ${r.name} seed ${seed}: node ${args.join(' ')}`);
  const t0 = Date.now();
  execFileSync('node', ['--no-warnings', ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
  const wall = (Date.now() - t0) / 1000;
  const variant = (label) => {
    const m = rows(join(dir, label));
    const last = m[m.length - 1];
    return {
      finalAcc: 100 * last.testAcc, bestAcc: 100 * Math.max(...m.map((x) => x.testAcc)), epochs: m.length, params: last.params,
      seconds: m.reduce((s, x) => s + x.seconds, 0),
    };
  };
  const res = { regime: r, seed, wall, baseline: variant('baseline'), nr: variant('nr') };
  writeFileSync(file, `${JSON.stringify(res, null, 2)}\n`);
  return res;
}

/** NR's surgery record (utilization, forced or not, rate) from a finished run's metrics. */
function surgeryOf(r, seed) {
  const row = rows(join(out, r.name, `seed${seed}`, 'nr')).find((x) => x.surgery);
  return row ? row.surgery : null;
}

const stats = (v) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, values: v };
};

const table = [];
for (const r of regimes) {
  const res = seeds.map((s) => runOne(r, s)).filter(Boolean);
  if (res.length < seeds.length) continue;
  const b = stats(res.map((x) => x.baseline.finalAcc)), n = stats(res.map((x) => x.nr.finalAcc));
  const pooled = Math.sqrt((b.std ** 2 + n.std ** 2) / 2);
  const wall = Math.max(...res.map((x) => x.wall));
  table.push({ r, res, b, n, pooled, wall, fits: wall <= BUDGET_S, ok: n.mean >= b.mean - pooled });
}

const f = (x) => x.toFixed(2);
const md = [
  '| regime | width | train images | nominal epochs | λ | monitoring cap | baseline final (mean ± std) | NR final (mean ± std) | NR − baseline | within 1 std | NR surgery after epoch (u, rate; * forced) | slowest demo (s) | ≤ 5 min |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...table.map(({ r, res, b, n, pooled, wall, fits, ok }) => {
    const surg = res.map((x) => {
      const s = surgeryOf(r, x.seed);
      return s ? `${s.epoch}${s.forced ? '*' : ''} (${s.utilization.toFixed(2)}, ${s.rate.toFixed(2)})` : '–';
    }).join('; ');
    return `| ${r.name} | ×${r.width} | ${r.trainLimit} | ${r.epochs} | ${r.lambda} | ${r.monitorEpochs} | ${f(b.mean)} ± ${f(b.std)} | ${f(n.mean)} ± ${f(n.std)} | ${f(n.mean - b.mean)} (pooled std ${f(pooled)}) | ${ok ? 'yes' : 'no'} | ${surg} | ${wall.toFixed(0)} | ${fits ? 'yes' : 'no'} |`;
  }),
  '',
  'Per seed (final / best test accuracy %, baseline → NR):',
  '',
  ...table.flatMap(({ r, res }) => res.map((x) => `- ${r.name} seed ${x.seed}: baseline ${f(x.baseline.finalAcc)} / ${f(x.baseline.bestAcc)}, NR ${f(x.nr.finalAcc)} / ${f(x.nr.bestAcc)} (${x.nr.epochs} epochs, ${x.nr.params} params), demo ${x.wall.toFixed(0)} s`)),
].join('\n');
console.log(md);

if (flag('write-results')) {
  const path = join('docs', 'results.md');
  const begin = '<!-- demo-sweep:begin -->', end = '<!-- demo-sweep:end -->';
  const body = `${begin}\n${md}\n${end}`;
  let doc = readFileSync(path, 'utf8');
  doc = doc.includes(begin) ? doc.slice(0, doc.indexOf(begin)) + body + doc.slice(doc.indexOf(end) + end.length) : `${doc.trimEnd()}\n\n${body}\n`;
  writeFileSync(path, doc);
  console.error(`[demo-sweep] table written to ${path}`);
}

const choose = opt('choose', null);
if (choose) {
  const row = table.find((t) => t.r.name === choose);
  if (!row) throw new Error(`demo-sweep: --choose ${choose}: no finished regime of that name`);
  const path = join('src', 'cli', 'demo-regime.json');
  const cur = JSON.parse(readFileSync(path, 'utf8'));
  const { name: _n, ...r } = row.r;
  const next = { about: cur.about, ...r, seed: cur.seed, spread: { seeds, finalAcc: { baseline: row.b, NR: row.n } } };
  writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
  console.error(`[demo-sweep] ${path}: regime ${choose} with its spread`);
}
