#!/usr/bin/env node
/**
 * Baseline vs Neural Rejuvenation with the same architecture and nominal schedule, plus a baseline
 * whose width matches NR's effective parameter count; every run is a plain `rejuv train` (the exact
 * commands are printed into the results). Appends one section per dataset to docs/results.md.
 *
 *   node scripts/build.mjs && node scripts/nr-experiment.mjs --dataset synthetic --seeds 0,1 \
 *     --width 0.5 --epochs 6 --train-limit 1200 --test-limit 600 --nr-args "--nr-adaptive --nr-lambda0 0.05 --nr-lambda-step 0.05"
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const dataset = opt('dataset', 'synthetic');
const seeds = opt('seeds', '0').split(',').map(Number);
const width = Number(opt('width', '1'));
const epochs = Number(opt('epochs', '20'));
const lr = opt('lr', '0.05');
const model = opt('model', 'vgg_mini');
const trainLimit = opt('train-limit');
const testLimit = opt('test-limit');
const nrArgs = opt('nr-args', '--nr-lambda 0.01').split(' ').filter(Boolean);
const out = opt('out', `runs/nr-experiment/${dataset}`);
const results = opt('results', 'docs/results.md');
const backend = opt('backend', 'webgpu');

const cli = opt('cli', join('dist', 'node', 'cli.js'));
if (!existsSync(cli)) throw new Error(`nr-experiment: ${cli} is missing; run \`node scripts/build.mjs\` first`);

function train(label, seed, extra, w = width) {
  const dir = join(out, `${label}-seed${seed}`);
  const args = [cli, 'train', '--model', model, '--width', String(w), '--dataset', dataset, '--epochs', String(epochs), '--lr', lr,
    '--batch-size', '64', '--seed', String(seed), '--out', dir, '--backend', backend,
    ...(trainLimit ? ['--train-limit', trainLimit] : []), ...(testLimit ? ['--test-limit', testLimit] : []), ...extra];
  // A finished run leaves DONE (its wall time): rerunning the script reuses it instead of training again.
  const done = join(dir, 'DONE');
  let wall;
  if (existsSync(done)) {
    wall = JSON.parse(readFileSync(done, 'utf8')).wall;
    process.stderr.write(`[nr-experiment] reusing ${dir}\n`);
  } else {
    const t0 = Date.now();
    process.stderr.write(`[nr-experiment] node ${args.join(' ')}\n`);
    execFileSync('node', ['--no-warnings', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    wall = (Date.now() - t0) / 1000;
    writeFileSync(done, JSON.stringify({ wall }));
  }
  const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { label, seed, rows, wall, cmd: `node ${args.join(' ')}`, width: w };
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (x) => (100 * x).toFixed(2);

// Conv parameters of vgg_mini-like chains scale with width²: the effective-size baseline's width.
const runs = [];
for (const seed of seeds) {
  runs.push(train('baseline', seed, []));
  runs.push(train('nr', seed, ['--nr', ...nrArgs]));
}
const nrRuns = runs.filter((r) => r.label === 'nr');
const last = (r) => r.rows[r.rows.length - 1];
const convBase = nrRuns[0].rows[0].convParams;
const effMean = mean(nrRuns.map((r) => last(r).effectiveParams));
// --eff-width pins it (so the effective-size runs can start before every NR run has finished).
const effWidth = opt('eff-width') ? Number(opt('eff-width')) : Number((width * Math.sqrt(effMean / convBase)).toFixed(3));
// --eff-seeds: the effective-size baseline on fewer seeds than the main comparison (it is the control, not the claim).
const effSeeds = opt('eff-seeds') ? opt('eff-seeds').split(',').map(Number) : seeds;
for (const seed of effSeeds) runs.push(train('baseline-effective', seed, [], effWidth));

const groups = ['baseline', 'nr', 'baseline-effective'];
const table = groups.map((g) => {
  const rs = runs.filter((r) => r.label === g);
  const accs = rs.map((r) => last(r).testAcc);
  const best = rs.map((r) => Math.max(...r.rows.map((x) => x.testAcc)));
  const conv = g === 'nr' ? mean(rs.map((r) => last(r).convParams)) : null;
  const eff = g === 'nr' ? mean(rs.map((r) => last(r).effectiveParams)) : null;
  return `| ${g}${g === 'baseline-effective' ? ` (width ${effWidth})` : ''} | ${accs.map(pct).join(', ')} | **${pct(mean(accs))} ± ${pct(std(accs))}** | ${pct(mean(best))} | ${Math.round(mean(rs.map((r) => last(r).params)))} | ${conv ? Math.round(conv) : '—'} | ${eff ? Math.round(eff) : '—'} | ${rs.map((r) => r.rows.length).join(', ')} | ${Math.round(mean(rs.map((r) => r.wall)))} s |`;
});

const curves = nrRuns.map((r) => {
  const pts = r.rows.map((x) => `${x.epoch}:${x.utilization === null || x.utilization === undefined ? '—' : x.utilization.toFixed(3)}${x.phase === 'rejuvenated' ? 'R' : ''}`);
  const surgery = r.rows.find((x) => x.rejuvenated);
  return `- seed ${r.seed}: utilization by epoch ${pts.join(' ')}\n  λ by epoch ${r.rows.map((x) => Number(x.lambda).toPrecision(2)).join(' ')}\n` +
    (surgery ? `  surgery after epoch ${surgery.epoch}${surgery.forcedAtEpoch ? ' (forced by --nr-max-monitor-epochs)' : ''}: rate ${surgery.rejuvenated.rate.toFixed(3)}, alive ${surgery.rejuvenated.alive.join(',')} → widths ${surgery.rejuvenated.widths.join(',')}\n  alive per layer by epoch ${r.rows.map((x) => `[${(x.alivePerLayer ?? []).join(',')}]`).join(' ')}` : '  no surgery happened');
});

const section = `
## ${dataset}: ${model} ×${width}, ${epochs} nominal epochs, seeds ${seeds.join(', ')} (${new Date().toISOString().slice(0, 16)}Z)

Train images ${trainLimit ?? 'all'}, test images ${testLimit ?? 'all'}, batch 64, LR ${lr} with ×0.1 at 50 % and 75 % of
the nominal schedule (NR: shifted by its monitoring epochs, spec §2.5), SGD momentum 0.9, wd 1e-4, backend ${backend}.
NR flags: \`${nrArgs.join(' ')}\`. Test accuracy is the last epoch's; "best" is the mean best epoch.

| run | final test acc per seed (%) | mean ± std (%) | best (%) | params (all) | conv params (dense) | effective conv params | epochs | wall time |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${table.join('\n')}

Utilization curves (parameter mode, end of epoch; R = rejuvenated phase):
${curves.join('\n')}

Commands:
\`\`\`sh
node scripts/build.mjs
node scripts/nr-experiment.mjs ${argv.map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ")}
${runs.map((r) => r.cmd).join('\n')}
\`\`\`
`;
if (!existsSync(results)) writeFileSync(results, '# Neural Rejuvenation: measured results\n');
appendFileSync(results, section);
process.stdout.write(section);
