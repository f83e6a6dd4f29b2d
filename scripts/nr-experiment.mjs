#!/usr/bin/env node
/**
 * Baseline vs Neural Rejuvenation with the same architecture and nominal schedule, plus a baseline
 * whose width matches NR's effective parameter count; every run is a plain `rejuv train` (the exact
 * commands are printed into the results).
 *
 * Two modes:
 *
 * 1. `--real-data` (issue 13 item 1): MNIST and Fashion-MNIST, one command for the whole experiment
 *    (λ tuning of the monitoring phase, 3 seeds of baseline and NR, the adaptive rule, a baseline at
 *    NR's effective size through --widths and one for NR's total epochs). Resumable and reusing
 *    finished runs; writes its section of docs/results.md between markers. See `realData()` below.
 *
 *      node scripts/build.mjs && node scripts/nr-experiment.mjs --real-data
 *      node scripts/nr-experiment.mjs --real-data --dry-run        # the plan, nothing run
 *
 * 2. The older single-dataset mode (the docs/method.md §13.1 runs of docs/results.md): appends one section.
 *
 *      node scripts/build.mjs && node scripts/nr-experiment.mjs --dataset synthetic --seeds 0,1 \
 *        --width 0.5 --epochs 6 --train-limit 1200 --test-limit 600 --nr-args "--nr-adaptive --nr-lambda0 0.05 --nr-lambda-step 0.05"
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { argv, flag, opt } from './lib/args.mjs';

if (flag('real-data')) {
  await realData();
} else {
  legacy();
}

/* ------------------------------------------------------------------------------------------------ */
/* --real-data                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

/**
 * The recipe (issue 13 item 1), every value overridable by the option of the same name:
 * - data: --train-subset 10000 --subset-seed 0 (src/data/rng.ts subsetIndices: the same 10,000 indices
 *   for MNIST and Fashion-MNIST), all 10,000 test images;
 * - vgg_mini ×1 on 1×28×28 (γ 0.5, He fan-out convs, classifier N(0, 0.01²): the zoo's init);
 * - batch 64 (last partial batch kept), SGD momentum 0.9, wd 1e-4, LR 0.05, 15 nominal epochs;
 *   ×0.1 at the start of epochs 9 and 13 (1-based, as metrics.jsonl counts them) = `--milestones 8,12`
 *   (the CLI's milestones are 0-based epoch indices, as torch's MultiStepLR: lr(e) = lr·0.1^|{m ≤ e}|);
 *   NR shifts them by its monitoring epochs (docs/method.md §10, done by the trainer);
 * - NR: constant λ per step, Scheme A, T = 0.25.
 *
 * Stages per dataset (datasets run side by side with --jobs 2):
 * 1. λ tuning of the monitoring phase only, seed --tune-seed (0): the NR run with λ from --lambdas,
 *    tried from the largest down, each stopped (killed; its checkpoint stays) as soon as metrics.jsonl
 *    shows the surgery, or after --tune-window's upper end (12) monitoring epochs without it. The chosen λ
 *    is the smallest whose trigger epoch lies in the window (5–12); the search stops at the first λ
 *    that does not reach T in the window after one that did. If no λ of the grid lands in the window,
 *    it extends the grid (halving below a too-early smallest, doubling above a never-triggering largest)
 *    up to 4 times. `--lambda mnist=0.01,fashion-mnist=0.006` skips the tuning for those datasets.
 *    Because a tuning run has exactly the arguments of the main NR run, the chosen λ's tuning run *is*
 *    the first part of NR seed 0's run: it is resumed, not repeated.
 * 2. baseline and NR (chosen λ) for --seeds (0,1,2); NR with the adaptive rule (λ0 0, step
 *    --adaptive-step, default chosen λ / 5, the ratio of docs/method.md §13.1) for seed 0.
 * 3. seed 0 of: a baseline at NR's effective size, --widths chosen so its total parameter count (convs,
 *    BN, classifier) is closest to the mean over NR seeds of NR's effective total (all parameters minus
 *    Scheme A's zero cross blocks), searching the default widths ×s (s in steps of 0.001, rounded) then
 *    ±1 per layer; and a baseline for NR seed 0's total epochs (E_mon + 15), whose LR schedule is NR's
 *    (milestones shifted by E_mon: constant LR for the first E_mon epochs, then the nominal schedule).
 *
 * Every run lives in <out>/<dataset>/<label>-seed<s>; a finished run leaves DONE (its arguments and wall
 * times) and is reused when the arguments agree (an error when they do not: delete the folder to redo
 * it); an unfinished one is continued with --resume. Wall time is the sum of the invocations' times.
 */
async function realData() {
  const cli = opt('cli', join('dist', 'node', 'cli.js'));
  if (!existsSync(cli)) throw new Error(`nr-experiment: ${cli} is missing; run \`node scripts/build.mjs\` first`);
  const datasets = opt('datasets', 'mnist,fashion-mnist').split(',');
  const seeds = opt('seeds', '0,1,2').split(',').map(Number);
  const out = opt('out', 'runs/nr-real');
  const results = opt('results', 'docs/results.md');
  const jobs = Number(opt('jobs', '1'));
  const dryRun = flag('dry-run');
  const epochs = Number(opt('epochs', '15'));
  const milestones = opt('milestones', '8,12').split(',').filter(Boolean).map(Number);
  const target = opt('target', '0.25');
  const grid = opt('lambdas', '0.02,0.01,0.006,0.004,0.002').split(',').map(Number).sort((a, b) => b - a);
  const [winLo, winHi] = opt('tune-window', '5,12').split(',').map(Number);
  const tuneSeed = Number(opt('tune-seed', String(seeds[0])));
  const fixedLambda = Object.fromEntries((opt('lambda', '') || '').split(',').filter(Boolean).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  const common = [
    '--model', opt('model', 'vgg_mini'), '--batch-size', opt('batch-size', '64'), '--lr', opt('lr', '0.05'), '--momentum', '0.9', '--weight-decay', '1e-4',
    '--backend', opt('backend', 'webgpu'),
    ...(opt('train-subset', '10000') !== 'none' ? ['--train-subset', opt('train-subset', '10000'), '--subset-seed', opt('subset-seed', '0')] : []),
    ...(opt('test-limit') ? ['--test-limit', opt('test-limit')] : []),
  ];
  const widthArgs = opt('width') ? ['--width', opt('width')] : [];
  const schedule = (e = epochs, shift = 0) => ['--epochs', String(e), '--milestones', milestones.map((m) => m + shift).join(',')];
  // --nr-args: extra flags for every NR run (e.g. `--nr-max-monitor-epochs 2` in a smoke test).
  const nrExtra = opt('nr-args', '').split(' ').filter(Boolean);
  const nrArgs = (lambda) => ['--nr', '--nr-lambda', String(lambda), '--nr-target', target, ...nrExtra];
  const log = (s) => process.stderr.write(`[nr-experiment] ${s}\n`);

  // A tiny job pool: tasks start in the order they were queued, so a task's dependencies (queued
  // before it) have always started; awaiting them inside a slot cannot deadlock.
  let running = 0;
  const waiters = [];
  const slot = async (fn) => {
    if (running >= jobs) await new Promise((r) => waiters.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiters.shift()?.();
    }
  };

  /** One `rejuv train` run; `stopWhen(rows)` ends it early (SIGTERM; the checkpoint stays for --resume). */
  const children = new Set();
  async function run(dsDir, label, seed, args, stopWhen = null) {
    const dir = join(dsDir, `${label}-seed${seed}`);
    const ds = dsDir.split('/').pop();
    const full = [cli, 'train', '--dataset', ds, ...args, '--seed', String(seed), '--out', dir];
    const key = JSON.stringify(full.slice(1));
    const done = join(dir, 'DONE');
    const rowsOf = () => (existsSync(join(dir, 'metrics.jsonl')) ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    const cmd = `node ${full.join(' ')}`;
    // Time = the sum of the epochs' own times (metrics.jsonl `seconds`): it survives resumes, where timing
    // the invocations misses any that died with its session.
    const result = (stopped) => {
      const rows = rowsOf();
      return { dir, label, seed, rows, wall: rows.reduce((a, r) => a + (r.seconds ?? 0), 0), cmd, stopped };
    };
    if (existsSync(done)) {
      const d = JSON.parse(readFileSync(done, 'utf8'));
      if (d.args !== key) throw new Error(`${dir} was run with other arguments:\n  ${d.args}\nthis plan:\n  ${key}\ndelete the folder to run it again`);
      // Finished: reuse. Stopped early (a tuning run): reuse as such, or continue it when asked for the whole run.
      if (!d.partial || stopWhen) return result(Boolean(d.partial));
    }
    if (dryRun) {
      log(`would run: ${cmd}${stopWhen ? '   (stopped early by the tuning rule)' : ''}`);
      return { ...result(false), dry: true };
    }
    return slot(async () => {
      mkdirSync(dir, { recursive: true });
      const hasCkpt = existsSync(join(dir, 'checkpoint.safetensors'));
      if (hasCkpt && stopWhen && stopWhen(rowsOf())) {
        // Interrupted after the stop condition was met but before DONE was written.
        writeFileSync(done, JSON.stringify({ args: key, partial: true }));
        return result(true);
      }
      const extra = hasCkpt ? ['--resume'] : existsSync(join(dir, 'metrics.jsonl')) || existsSync(join(dir, 'report.html')) ? ['--overwrite'] : [];
      log(`${cmd}${extra.length ? ` ${extra.join(' ')}` : ''}`);
      const child = spawn('node', ['--no-warnings', ...full, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
      children.add(child);
      let stopped = false, tail = '';
      child.stderr.on('data', (b) => {
        const t = b.toString();
        tail = (tail + t).slice(-4000);
        // Epoch lines and NR messages, not the progress bar.
        for (const line of t.split(/[\r\n]/)) if (/^(epoch |NR|resumed|--)/.test(line)) log(`${label}-seed${seed} ${line}`);
      });
      const poll = stopWhen ? setInterval(() => {
        try {
          if (!stopped && stopWhen(rowsOf())) {
            stopped = true;
            child.kill('SIGTERM');
          }
        } catch { /* a half-written line: the next poll */ }
      }, 2000) : null;
      const code = await new Promise((res) => child.on('exit', (c, sig) => res(sig ?? c)));
      children.delete(child);
      if (poll) clearInterval(poll);
      if (!stopped && stopWhen && stopWhen(rowsOf())) stopped = true; // it ended by itself at the condition
      if (!stopped && code !== 0) throw new Error(`${cmd}${extra.length ? ` ${extra.join(' ')}` : ''} failed (${code}):\n${tail}`);
      writeFileSync(done, JSON.stringify({ args: key, ...(stopped ? { partial: true } : {}) }));
      return result(stopped);
    });
  }
  const killAll = () => children.forEach((ch) => ch.kill('SIGTERM'));

  /**
   * The PyTorch twin (scripts/torch_twin.py, issue 13 item 2) of one run: same data subset, batch order,
   * schedule and NR flags; per-epoch JSON lines in <out>/<dataset>/twin-<label>-seed<s>.jsonl. Not
   * resumable (a run takes minutes): an unfinished one is run again; a finished one (.done) is reused.
   */
  const python = opt('python', '/usr/bin/python3');
  let twinOn = !flag('no-twin');
  if (twinOn && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    log(`no PyTorch twin: ${python} cannot import torch (Debian: apt-get install python3-torch; --python PATH for another interpreter)`);
    twinOn = false;
  }
  const twinFlag = { '--nr-max-monitor-epochs': '--max-monitor-epochs', '--nr-monitor-limit': '--monitor-limit', '--nr-adaptive': '--adaptive' };
  function twinArgs(args) {
    // rejuv train's flags → torch_twin.py's (the same names but for the few in twinFlag; --backend has no twin).
    const outArgs = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--backend') { i++; continue; }
      outArgs.push(twinFlag[args[i]] ?? args[i]);
    }
    return outArgs;
  }
  async function twinRun(dsDir, label, seed, args) {
    const ds = dsDir.split('/').pop();
    const file = join(dsDir, `twin-${label}-seed${seed}.jsonl`);
    const full = ['scripts/torch_twin.py', '--dataset', ds, ...twinArgs(args), '--seed', String(seed), '--out', file];
    const key = JSON.stringify(full);
    const cmd = `${python} ${full.join(' ')}`;
    const rowsOf = () => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (existsSync(`${file}.done`) && JSON.parse(readFileSync(`${file}.done`, 'utf8')).args === key) return { label, seed, rows: rowsOf(), cmd, wall: JSON.parse(readFileSync(`${file}.done`, 'utf8')).wall };
    if (dryRun) {
      log(`would run: ${cmd}`);
      return { label, seed, rows: [], cmd, dry: true };
    }
    return slot(async () => {
      mkdirSync(dsDir, { recursive: true });
      log(cmd);
      const t0 = Date.now();
      const child = spawn(python, full, { stdio: ['ignore', 'ignore', 'pipe'] });
      children.add(child);
      let tail = '';
      child.stderr.on('data', (b) => {
        const t = b.toString();
        tail = (tail + t).slice(-4000);
        for (const line of t.split('\n')) if (/^(epoch |done)/.test(line)) log(`twin-${label}-seed${seed} ${line}`);
      });
      const code = await new Promise((res) => child.on('exit', (c, sig) => res(sig ?? c)));
      children.delete(child);
      if (code !== 0) throw new Error(`${cmd} failed (${code}):\n${tail}`);
      const wall = (Date.now() - t0) / 1000;
      writeFileSync(`${file}.done`, JSON.stringify({ args: key, wall }));
      return { label, seed, rows: rowsOf(), cmd, wall };
    });
  }
  process.on('SIGINT', () => { killAll(); process.exit(130); });

  const triggerOf = (rows) => rows.find((r) => r.surgery || r.rejuvenated) ?? null;
  const surgeryOf = (row) => (row ? { epoch: row.epoch, u: row.surgery?.utilization ?? row.utilization, ...(row.surgery ?? row.rejuvenated) } : null);
  const last = (rows) => rows[rows.length - 1];
  const effTotal = (rows) => last(rows).params - last(rows).convParams + last(rows).effectiveParams;

  /** λ tuning (stage 1) for one dataset. */
  async function tune(ds, dsDir) {
    if (fixedLambda[ds] !== undefined) return { lambda: fixedLambda[ds], table: [], given: true };
    const table = [];
    const tried = new Set();
    const tryOne = async (lambda) => {
      tried.add(lambda);
      const stop = (rows) => Boolean(triggerOf(rows)) || rows.length >= winHi;
      const r = await run(dsDir, `nr-lambda${lambda}`, tuneSeed, [...common, ...widthArgs, ...schedule(), ...nrArgs(lambda)], stop);
      const rows = r.rows.slice(0, triggerOf(r.rows)?.epoch ?? winHi);
      const s = surgeryOf(triggerOf(r.rows));
      // A surgery forced by --nr-max-monitor-epochs did not reach T.
      const reached = s && s.epoch <= winHi && !(s.forced || triggerOf(r.rows).forcedAtEpoch);
      const row = { lambda, utilization: rows.map((x) => x.utilization), trigger: reached ? s.epoch : null, u: s?.u ?? null, dry: r.dry };
      row.inWindow = row.trigger !== null && row.trigger >= winLo && row.trigger <= winHi;
      table.push(row);
      return row;
    };
    let found = null;
    for (const lambda of grid) {
      const row = await tryOne(lambda);
      if (row.dry) return { lambda: '<λ from tuning>', table, dry: true };
      if (row.inWindow) found = row;
      else if (found && row.trigger === null) break; // smaller λ only get slower
    }
    for (let k = 0; !found && k < 4; k++) {
      const early = table.filter((t) => t.trigger !== null && t.trigger < winLo);
      const never = table.filter((t) => t.trigger === null);
      let next;
      if (never.length === table.length) next = Math.max(...table.map((t) => t.lambda)) * 2;
      else if (early.length === table.length) next = Math.min(...table.map((t) => t.lambda)) / 2;
      else {
        // Between the largest λ that never triggered and the smallest that triggered too early.
        const lo = Math.max(...never.map((t) => t.lambda)), hi = Math.min(...early.map((t) => t.lambda));
        next = Math.sqrt(lo * hi);
      }
      next = Number(next.toPrecision(2));
      if (tried.has(next)) break;
      const row = await tryOne(next);
      if (row.inWindow) found = row;
    }
    const inWin = table.filter((t) => t.inWindow).sort((a, b) => a.lambda - b.lambda);
    if (!inWin.length) throw new Error(`${ds}: no λ tried (${table.map((t) => t.lambda).join(', ')}) reaches u ≤ ${target} within epochs ${winLo}–${winHi}; give --lambda ${ds}=… or other --lambdas`);
    table.sort((a, b) => b.lambda - a.lambda);
    return { lambda: inWin[0].lambda, table };
  }

  /** vgg_mini's parameter count for explicit widths (convs 3×3 without bias, BN γ β, Linear). */
  const inCh = 1, classes = 10, base = [16, 16, 32, 32, 64, 64];
  const paramsOf = (w) => w.reduce((s, x, i) => s + 9 * (i ? w[i - 1] : inCh) * x + 2 * x, 0) + w[w.length - 1] * classes + classes;
  function widthsFor(total) {
    let best = null;
    for (let k = 100; k <= 2000; k++) {
      const w = base.map((b) => Math.max(1, Math.round((b * k) / 1000)));
      const d = Math.abs(paramsOf(w) - total);
      if (!best || d < best.d) best = { w, d };
    }
    for (let improved = true; improved;) {
      improved = false;
      for (let i = 0; i < best.w.length; i++) for (const dw of [-1, 1]) {
        const w = best.w.slice();
        w[i] = Math.max(1, w[i] + dw);
        const d = Math.abs(paramsOf(w) - total);
        if (d < best.d) [best, improved] = [{ w, d }, true];
      }
    }
    return best.w;
  }

  async function dataset(ds) {
    const dsDir = join(out, ds);
    const tuned = await tune(ds, dsDir);
    const lambda = tuned.lambda;
    const nrLabel = `nr-lambda${lambda}`;
    const step = typeof lambda === 'number' ? Number(opt('adaptive-step', String(Number((lambda / 5).toPrecision(2))))) : '<λ/5>';
    const main = [];
    for (const seed of seeds) {
      main.push(run(dsDir, 'baseline', seed, [...common, ...widthArgs, ...schedule()]));
      main.push(run(dsDir, nrLabel, seed, [...common, ...widthArgs, ...schedule(), ...nrArgs(lambda)]));
    }
    const twins = [];
    if (twinOn) {
      for (const seed of seeds) {
        twins.push(twinRun(dsDir, 'baseline', seed, [...common, ...widthArgs, ...schedule()]));
        twins.push(twinRun(dsDir, 'nr', seed, [...common, ...widthArgs, ...schedule(), ...nrArgs(lambda)]));
      }
    }
    const adaptive = flag('no-adaptive') ? null : run(dsDir, 'nr-adaptive', seeds[0], [...common, ...widthArgs, ...schedule(), '--nr', '--nr-adaptive', '--nr-lambda0', '0', '--nr-lambda-step', String(step), '--nr-target', target, ...nrExtra]);
    const mainRuns = await Promise.all(main);
    const nr = mainRuns.filter((r) => r.label === nrLabel);
    let eff = null, long = null, effWidths = null, effTarget = null, eMon = null;
    if (!nr.some((r) => r.dry)) {
      effTarget = nr.reduce((s, r) => s + effTotal(r.rows), 0) / nr.length;
      effWidths = opt('eff-widths') ? opt('eff-widths').split(',').map(Number) : widthsFor(effTarget);
      eMon = triggerOf(nr[0].rows)?.epoch ?? last(nr[0].rows).targetNotReached?.monitorEpochs ?? 0;
      const effRun = run(dsDir, 'baseline-effective', seeds[0], [...common, '--widths', effWidths.join(','), ...schedule()]);
      const longRun = run(dsDir, 'baseline-long', seeds[0], [...common, ...widthArgs, ...schedule(epochs + eMon, eMon)]);
      [eff, long] = await Promise.all([effRun, longRun]);
    } else {
      log(`${ds}: then baseline-effective (seed ${seeds[0]}, --widths from NR's effective total) and baseline-long (seed ${seeds[0]}, ${epochs} + NR's monitoring epochs)`);
    }
    return { ds, tuned, lambda, step, runs: mainRuns, adaptive: adaptive ? await adaptive : null, eff, long, effWidths, effTarget, eMon, twins: await Promise.all(twins) };
  }

  let all;
  try {
    all = await Promise.all(datasets.map((ds) => dataset(ds)));
  } catch (e) {
    killAll(); // the other runs stop too (their checkpoints stay: rerun to continue)
    throw e;
  }
  if (dryRun) return;
  const section = realDataSection(all, { results: results === 'none' ? 'docs/results.md' : results, seeds, epochs, milestones, target, winLo, winHi, tuneSeed, common, out, paramsOf, triggerOf, surgeryOf, effTotal });
  if (results !== 'none') {
    const begin = '<!-- nr-experiment --real-data: begin (generated; rerun the command to update) -->', end = '<!-- nr-experiment --real-data: end -->';
    const doc = existsSync(results) ? readFileSync(results, 'utf8') : '# Neural Rejuvenation: measured results\n';
    const block = `${begin}\n${section}\n${end}`;
    const i = doc.indexOf(begin), j = doc.indexOf(end);
    writeFileSync(results, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`);
    log(`wrote ${results}`);
  }
  process.stdout.write(`${section}\n`);
}

function realDataSection(all, c) {
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
  const pct = (x) => (100 * x).toFixed(2);
  const int = (x) => Math.round(x).toLocaleString('en-US');
  const last = (rows) => rows[rows.length - 1];
  const best = (rows) => Math.max(...rows.map((r) => r.testAcc));
  const min = (s) => (s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);
  const parts = [`## MNIST and Fashion-MNIST: vgg_mini ×1, ${c.epochs} nominal epochs, seeds ${c.seeds.join(', ')} (${new Date().toISOString().slice(0, 16)}Z)`, '',
    `Training set: a seeded random subset (\`${c.common.slice(c.common.indexOf('--train-subset'), c.common.indexOf('--train-subset') + 4).join(' ')}\`, the same images for every run and both datasets); test set: ${c.common.includes('--test-limit') ? `the first ${c.common[c.common.indexOf('--test-limit') + 1]}` : 'all 10,000'} test images.`,
    `Batch 64 (last partial batch kept), SGD momentum 0.9, wd 1e-4, LR 0.05 ×0.1 at the start of epochs ${c.milestones.map((m) => m + 1).join(' and ')} (\`--milestones ${c.milestones.join(',')}\`, 0-based), shifted by NR's monitoring epochs.`,
    `NR: constant λ per step, Scheme A, T = ${c.target}. Final accuracy = last epoch; best = the best epoch's test accuracy (selected on the test set, so optimistic). Time = the sum of the run's epoch times (training and test evaluation, from metrics.jsonl) on this shared 2-core machine, with up to four processes at once.`, ''];
  for (const d of all) {
    const base = d.runs.filter((r) => r.label === 'baseline'), nr = d.runs.filter((r) => r.label !== 'baseline');
    parts.push(`### ${d.ds}`, '');
    if (d.tuned.given) parts.push(`λ = ${d.lambda} (given with --lambda; no tuning).`, '');
    else {
      parts.push(`λ tuning, monitoring phase only (seed ${c.tuneSeed}; each run stopped at the surgery or after ${c.winHi} epochs; chosen: the smallest λ reaching u ≤ ${c.target} within epochs ${c.winLo}–${c.winHi}):`, '',
        '| λ | utilization by monitoring epoch | trigger epoch (u) | in window |', '| --- | --- | --- | --- |',
        ...d.tuned.table.map((t) => `| ${t.lambda}${t.lambda === d.lambda ? ' (chosen)' : ''} | ${t.utilization.map((u) => (u ?? NaN).toFixed(3)).join(' ')} | ${t.trigger ?? `not within ${c.winHi}`}${t.u !== null && t.trigger ? ` (${t.u.toFixed(3)})` : ''} | ${t.inWindow ? 'yes' : 'no'} |`), '');
    }
    const row = (name, r) => {
      const s = c.surgeryOf(c.triggerOf(r.rows));
      const l = last(r.rows);
      const nrRun = l.convParams !== undefined;
      return `| ${name} | ${r.seed} | ${s ? `${s.epoch}${s.forced || l.forcedAtEpoch ? ' (forced, u > T)' : ''}` : nrRun ? (l.targetNotReached ? `not reached (u ${l.targetNotReached.utilization.toFixed(3)})` : 'none') : '—'} | ${s ? s.u.toFixed(3) : '—'} | ${s ? s.rate.toFixed(3) : '—'} | ${s ? `${s.alive.join(',')} → ${s.widths.join(',')}` : '—'} | ${int(l.params)} | ${nrRun ? int(c.effTotal(r.rows)) : int(l.params)} | ${pct(l.testAcc)} | ${pct(best(r.rows))} | ${r.rows.length} | ${min(r.wall)} |`;
    };
    const agg = (name, rs) => {
      const trig = rs.map((r) => c.triggerOf(r.rows)?.epoch).filter((x) => x !== undefined);
      return `| **${name}, mean ± std** | ${rs.length} seeds | ${trig.length ? `${mean(trig).toFixed(1)} ± ${std(trig).toFixed(1)}` : '—'} | | | | ${int(mean(rs.map((r) => last(r.rows).params)))} | ${int(mean(rs.map((r) => (last(r.rows).convParams !== undefined ? c.effTotal(r.rows) : last(r.rows).params))))} | **${pct(mean(rs.map((r) => last(r.rows).testAcc)))} ± ${pct(std(rs.map((r) => last(r.rows).testAcc)))}** | ${pct(mean(rs.map((r) => best(r.rows))))} ± ${pct(std(rs.map((r) => best(r.rows))))} | | ${min(mean(rs.map((r) => r.wall)))} |`;
    };
    parts.push(`Runs (λ = ${d.lambda}; dense = all parameters of the final network; effective = without Scheme A's zero cross blocks):`, '',
      '| run | seed | trigger epoch | u at trigger | rate | alive → new widths | dense params | effective params | final acc (%) | best acc (%) | epochs | time |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...base.map((r) => row('baseline', r)), agg('baseline', base),
      ...nr.map((r) => row('NR', r)), agg('NR', nr),
      ...(d.adaptive ? [row(`NR adaptive (λ0 0, +${d.step})`, d.adaptive)] : []),
      ...(d.eff ? [row(`baseline at NR's effective size (widths ${d.effWidths.join(',')})`, d.eff)] : []),
      ...(d.long ? [row(`baseline for NR's total epochs (${c.epochs} + ${d.eMon})`, d.long)] : []), '');
    const a = base.map((r) => last(r.rows).testAcc), b = nr.map((r) => last(r.rows).testAcc);
    const se = Math.sqrt(std(a) ** 2 / a.length + std(b) ** 2 / b.length);
    parts.push(`NR − baseline, final accuracy: ${(100 * (mean(b) - mean(a))).toFixed(2)} points (standard error of the difference ${(100 * se).toFixed(2)}). NR's effective total ${int(d.effTarget)} parameters (mean over seeds) vs the effective-size baseline's ${d.eff ? int(last(d.eff.rows).params) : '—'} (${d.eff ? `--widths ${d.effWidths.join(',')}` : ''}).`, '');
    if (d.twins.length) parts.push(...twinSection(d, c, { mean, std, pct, last, best, min }), '');
    const svg = join(dirname(c.results), `nr-real-${d.ds}-curves.svg`);
    try {
      execFileSync('node', ['scripts/nr-plot.mjs', '--runs', join(c.out, d.ds), '--seeds', c.seeds.join(','), '--nr-label', `nr-lambda${d.lambda}`, '--out', svg, '--title', d.ds], { stdio: ['ignore', 'ignore', 'inherit'] });
      parts.push(`![${d.ds}: utilization and test accuracy by epoch](${basename(svg)})`, '');
    } catch (e) {
      parts.push(`(curves: nr-plot failed: ${e.message.split('\n')[0]})`, '');
    }
  }
  parts.push('Commands (every run; `--resume` is added to continue an interrupted one):', '```sh', 'node scripts/build.mjs',
    `node scripts/nr-experiment.mjs ${argv.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`,
    ...all.flatMap((d) => [...d.runs, d.adaptive, d.eff, d.long, ...d.twins].filter(Boolean).map((r) => r.cmd)), '```');
  return parts.join('\n');
}

/**
 * Our runs beside the PyTorch twin's, and the issue's agreement criteria: mean final accuracies within
 * 2 pooled standard errors (or 0.3 pt MNIST / 0.6 pt Fashion-MNIST, whichever is larger), trigger epochs
 * within ±2 per seed, every utilization of ours inside the twin's min–max over seeds ±0.05, phase by phase.
 */
function twinSection(d, c, f) {
  const { mean, std, pct, last, best } = f;
  const out = [`PyTorch twin (scripts/torch_twin.py: same subset, batch order, schedule and NR flags; its own init draws):`, '',
    '| run | implementation | final acc per seed (%) | mean ± std (%) | best (%) | trigger epochs | u at trigger | widths after surgery |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  const groups = [['baseline', d.runs.filter((r) => r.label === 'baseline'), d.twins.filter((t) => t.label === 'baseline')],
    ['NR', d.runs.filter((r) => r.label !== 'baseline'), d.twins.filter((t) => t.label === 'nr')]];
  const trig = (rows) => c.surgeryOf(c.triggerOf(rows));
  for (const [name, ours, twin] of groups) {
    for (const [impl, rs] of [['rejuv', ours], ['PyTorch twin', twin]]) {
      const acc = rs.map((r) => last(r.rows).testAcc);
      const ts = rs.map((r) => trig(r.rows));
      out.push(`| ${name} | ${impl} | ${acc.map(pct).join(', ')} | ${pct(mean(acc))} ± ${pct(std(acc))} | ${pct(mean(rs.map((r) => best(r.rows))))} | ${ts.map((t) => t?.epoch ?? '—').join(', ')} | ${ts.map((t) => (t ? t.u.toFixed(3) : '—')).join(', ')} | ${ts.map((t) => (t ? t.widths.join(',') : '—')).join('; ')} |`);
    }
  }
  const checks = [];
  const floor = d.ds === 'mnist' ? 0.003 : 0.006;
  for (const [name, ours, twin] of groups) {
    const a = ours.map((r) => last(r.rows).testAcc), b = twin.map((r) => last(r.rows).testAcc);
    const se = Math.sqrt(std(a) ** 2 / a.length + std(b) ** 2 / b.length);
    const tol = Math.max(2 * se, floor), diff = mean(a) - mean(b);
    checks.push(`${name} final accuracy: rejuv − twin ${(100 * diff).toFixed(2)} pt, allowed ±${(100 * tol).toFixed(2)} pt (2 pooled s.e. ${(200 * se).toFixed(2)}, floor ${100 * floor}): **${Math.abs(diff) <= tol ? 'agrees' : 'DISAGREES'}**`);
  }
  const [, oursNr, twinNr] = groups[1];
  const te = oursNr.map((r) => [r.seed, trig(r.rows)?.epoch ?? null, trig(twinNr.find((t) => t.seed === r.seed)?.rows ?? [])?.epoch ?? null]);
  const teOk = te.every(([, x, y]) => x !== null && y !== null && Math.abs(x - y) <= 2);
  checks.push(`trigger epochs, seed by seed (rejuv / twin): ${te.map(([s, x, y]) => `${s}: ${x ?? '—'} / ${y ?? '—'}`).join(', ')}: **${teOk ? 'within ±2' : 'NOT within ±2'}**`);
  // A seed fixes the data order in both, not the init draws (each implementation draws its own), so a
  // seed's two runs are not a matched pair; the distributions are compared too.
  const ot = te.map(([, x]) => x).filter((x) => x !== null), tt = te.map(([, , y]) => y).filter((y) => y !== null);
  if (ot.length && tt.length) {
    const dm = mean(ot) - mean(tt);
    checks.push(`trigger epochs, mean over seeds: rejuv ${mean(ot).toFixed(1)} ± ${std(ot).toFixed(1)}, twin ${mean(tt).toFixed(1)} ± ${std(tt).toFixed(1)}, difference ${dm.toFixed(1)}: **${Math.abs(dm) <= 2 ? 'within ±2' : 'NOT within ±2'}**`);
  }
  // Utilization is compared phase by phase: a monitoring epoch against the twin's monitoring epochs of the
  // same number, a post-surgery epoch against the twin's epochs as many epochs after its own surgery.
  // Aligning by raw epoch would set a fresh network's u ≈ 1 against the other seed's sparse one whenever
  // two trigger epochs differ (which the ±2 rule above allows).
  const phased = (rows) => {
    const t = c.triggerOf(rows)?.epoch ?? Infinity;
    return rows.map((row, i) => [i + 1 <= t ? `monitoring epoch ${i + 1}` : `epoch ${i + 1 - t} after surgery`, row.utilization]).filter(([, u]) => typeof u === 'number');
  };
  const twinU = new Map();
  for (const t of twinNr) for (const [key, u] of phased(t.rows)) twinU.set(key, [...(twinU.get(key) ?? []), u]);
  const outside = [];
  let compared = 0;
  for (const r of oursNr) {
    for (const [key, u] of phased(r.rows)) {
      const tw = twinU.get(key);
      if (!tw) continue;
      compared++;
      const lo = Math.min(...tw) - 0.05, hi = Math.max(...tw) + 0.05;
      if (u < lo || u > hi) outside.push(`seed ${r.seed} ${key}: ${u.toFixed(3)} ∉ [${lo.toFixed(3)}, ${hi.toFixed(3)}]`);
    }
  }
  checks.push(`utilization, phase by phase (monitoring epoch n; n epochs after surgery), inside the twin's min–max over seeds ±0.05: **${outside.length ? `NO (${outside.length} of ${compared}: ${outside.slice(0, 6).join('; ')}${outside.length > 6 ? '; …' : ''})` : `yes, all ${compared} epochs of every seed`}**`);
  out.push('', 'Agreement (issue 13 item 2; a disagreement is a bug to find, not a result):', ...checks.map((x) => `- ${x}`));
  return out;
}

/* ------------------------------------------------------------------------------------------------ */
/* the older single-dataset mode                                                                      */
/* ------------------------------------------------------------------------------------------------ */

function legacy() {
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
the nominal schedule (NR: shifted by its monitoring epochs, docs/method.md §10), SGD momentum 0.9, wd 1e-4, backend ${backend}.
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
}
