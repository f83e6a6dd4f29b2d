#!/usr/bin/env node
/**
 * `rejuv`: train, eval, inspect, demo. Built by scripts/build.mjs to dist/node/cli.js (the package's
 * `bin`). Exit codes: 0 success, 1 failure (message on stderr), 2 usage error.
 */
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import '../kernels/index.js';
import { EpochBatches } from '../data/loader.js';
import { loadDataset } from '../data/files.js';
import { close, init } from '../init.js';
import { tidy, noGrad } from '../tensor/engine.js';
import { tensor } from '../ops/creation.js';
import { readAll } from '../tensor/tensor.js';
import { Checkpoint, writeFileAtomic } from '../train/checkpoint.js';
import { defaultMilestones, milestoneProblem, type TrainConfig } from '../train/config.js';
import { checkOutDir } from '../train/outdir.js';
import { modelFromDescription } from '../nn/models/index.js';
import { encodeSafetensors, fromTyped } from '../train/safetensors.js';
import { Trainer, type RunState } from '../train/trainer.js';
import { evaluateModel } from '../train/step.js';
import { Progress, fmtLr } from '../train/progress.js';
import type { ModelDescription } from '../nn/graph.js';
import { commands } from './commands.js';
import { cmdProfile } from './profile.js';
import { DEMO } from './demo-regime.js';
import { checkExtensionOptions, getExtensions, makePlugin } from './extensions.js';
import { formatHelp, parseOptions, UsageError, type ParsedOptions } from './options.js';
import { withoutDawnLimitWarnings } from './quiet-dawn.js';
import './plugins.js';
import { describePair, exportSplit, isPairDir, readPairMeta, restorePair } from '../rejuv/export-files.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
/** Training progress goes to `io.err` (the live bar only on a terminal). */
const progressFor = (io: Io): Progress | undefined => (io === stdio ? undefined : new Progress({ write: io.err }));

const TOP_HELP = () => `rejuv — train CNNs on WebGPU, with Neural Rejuvenation (Qiao et al., CVPR 2019)

Usage: rejuv <command> [options]        rejuv <command> --help for its options

Commands:
${Object.values(commands()).map((c) => `  ${c.name.padEnd(9)}${c.summary}`).join('\n')}

Examples:
  rejuv demo
  rejuv train --model vgg_mini --dataset synthetic --epochs 20 --lr 0.05 --out runs/syn
  rejuv train --model vgg_mini --dataset mnist --train-limit 5000 --epochs 5 --out runs/mnist
  rejuv eval runs/mnist/checkpoint.safetensors
  rejuv inspect runs/mnist/checkpoint.safetensors
  rejuv export --split runs/nr/checkpoint.safetensors runs/nr/split && rejuv eval runs/nr/split
`;

/** Train options → TrainConfig (plugin options go to `plugin`). */
export function trainConfig(o: ParsedOptions): TrainConfig {
  const epochs = o.epochs as number;
  const plugin: Record<string, unknown> = {};
  for (const e of getExtensions()) for (const s of e.options) if (o[s.name] !== undefined) plugin[s.name] = o[s.name];
  const ms = o.milestones as number[] | undefined;
  const msWhy = ms === undefined ? null : o.schedule === 'cosine' && ms.length ? '--milestones apply to --schedule multistep, not cosine' : milestoneProblem(ms, epochs);
  if (msWhy) throw new UsageError('train', `--milestones: ${msWhy}`);
  for (const [k, v] of Object.entries({ epochs, 'batch-size': o['batch-size'] })) if ((v as number) < 1) throw new UsageError('train', `--${k} must be ≥ 1, got ${v}`);
  if ((o.width as number) <= 0) throw new UsageError('train', `--width must be > 0, got ${o.width}`);
  const widths = o.widths as number[] | undefined;
  if (widths !== undefined) {
    const bad = widths.find((w) => !Number.isSafeInteger(w) || w < 1);
    if (!widths.length || bad !== undefined) throw new UsageError('train', `--widths: expected comma-separated positive integers (one per conv-BN unit), got '${widths.join(',')}'`);
    if (o.width !== 1) throw new UsageError('train', `--widths sets every unit's width; --width ${o.width} would be ignored (give one of them)`);
  }
  const trainSubset = o['train-subset'] as number | undefined;
  if (trainSubset !== undefined && o['train-limit'] !== undefined) throw new UsageError('train', `--train-subset and --train-limit exclude each other (a random subset of N, or the first N), got both`);
  if (trainSubset !== undefined && trainSubset < 1) throw new UsageError('train', `--train-subset must be ≥ 1, got ${trainSubset}`);
  if (o['subset-seed'] !== undefined && trainSubset === undefined) throw new UsageError('train', `--subset-seed needs --train-subset`);
  if ((o['subset-seed'] as number | undefined ?? 0) < 0) throw new UsageError('train', `--subset-seed must be ≥ 0, got ${o['subset-seed']}`);
  return {
    model: o.model as string, width: o.width as number, dataset: o.dataset as string, dataDir: o['data-dir'] as string | undefined,
    epochs, batchSize: o['batch-size'] as number, lr: o.lr as number, momentum: o.momentum as number, weightDecay: o['weight-decay'] as number,
    nesterov: Boolean(o.nesterov), milestones: (o.milestones as number[] | undefined) ?? defaultMilestones(epochs), gamma: o.gamma as number,
    schedule: o.schedule as 'multistep' | 'cosine', seed: o.seed as number, out: o.out as string, resume: Boolean(o.resume), overwrite: Boolean(o.overwrite),
    trainLimit: o['train-limit'] as number | undefined, testLimit: o['test-limit'] as number | undefined,
    ...(trainSubset !== undefined ? { trainSubset, subsetSeed: (o['subset-seed'] as number | undefined) ?? 0 } : {}), ...(widths ? { widths } : {}),
    plugin: Object.keys(plugin).length ? plugin : undefined,
  };
}

async function cmdTrain(o: ParsedOptions, io: Io): Promise<number> {
  const cfg = trainConfig(o);
  checkOutDir(cfg.out, cfg); // before the device starts: a refused or impossible --out fails at once
  await withoutDawnLimitWarnings(() => init({ backend: o.backend as 'webgpu' | 'cpu' }));
  try {
    const r = await new Trainer(cfg, { makePlugin, progress: progressFor(io) }).run();
    const last = r.history[r.history.length - 1];
    io.out(`done: ${r.history.length} epochs, test accuracy ${last ? (100 * (last.testAcc as number)).toFixed(2) : '?'}%\n${r.summary ? `${r.summary}\n` : ''}checkpoint ${r.checkpoint}\nreport     ${join(cfg.out, 'report.html')}\n`);
  } finally {
    close();
  }
  return 0;
}

/** Rebuild a checkpoint's model (and plugin) with its weights. */
function restore(ckpt: Checkpoint) {
  const run = ckpt.meta<RunState>('run');
  const model = modelFromDescription(ckpt.meta<ModelDescription>('model'));
  const sd = ckpt.stateDictFor(model.stateDict());
  model.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  const plugin = makePlugin(model, run.config);
  if (plugin?.loadState && ckpt.hasMeta('plugin')) plugin.loadState(ckpt.meta('plugin'));
  return { run, model, plugin };
}

async function cmdEval(o: ParsedOptions, file: string, io: Io): Promise<number> {
  // A pair folder (`rejuv export --split`) evaluates its prediction S(x) + R(x).
  const ckpt = isPairDir(file) ? null : Checkpoint.read(file);
  await withoutDawnLimitWarnings(() => init({ backend: o.backend as 'webgpu' | 'cpu' }));
  try {
    const { run, model, plugin } = ckpt ? restore(ckpt) : restorePair(file);
    const cfg = run.config;
    const data = loadDataset(cfg.dataset, { dataDir: (o['data-dir'] as string | undefined) ?? cfg.dataDir, trainLimit: 1, testLimit: (o['test-limit'] as number | undefined) ?? cfg.testLimit });
    const bs = (o['batch-size'] as number | undefined) ?? cfg.batchSize;
    const fwd = plugin?.forwardLoss ? (x: Parameters<NonNullable<typeof plugin.forwardLoss>>[0], y: Parameters<NonNullable<typeof plugin.forwardLoss>>[1]) => plugin.forwardLoss!(x, y, false) : undefined;
    const r = await evaluateModel(model, data, bs, fwd);
    if (o['dump-logits']) {
      const h = new EpochBatches(data.test, data, { batchSize: bs }).prepare(0);
      model.eval();
      // The prediction's logits: an NR model trained under Scheme A predicts with z_S + z_R.
      const logits = noGrad(() => tidy(() => (plugin?.logits ? plugin.logits(tensor(h.x, h.shape)) : model.forward(tensor(h.x, h.shape)))));
      const [l] = await readAll([logits]);
      logits.dispose();
      const sf = { metadata: { checkpoint: resolve(file), dataset: data.name, model: JSON.stringify(model.describe()) }, tensors: new Map([
        ['input', fromTyped(h.x, [...h.shape])], ['labels', fromTyped(h.y, [h.shape[0]])], ['logits', fromTyped(l as Float32Array, [...logits.shape])],
      ]) };
      writeFileAtomic(o['dump-logits'] as string, encodeSafetensors(sf));
    }
    const res = { checkpoint: file, dataset: data.name, images: data.test.count, testLoss: r.loss, testAcc: r.acc, epochsDone: run.epochsDone };
    io.out(o.json ? `${JSON.stringify(res)}\n` : `${file}: ${data.name} test (${data.test.count} images): loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.acc).toFixed(2)}%\n`);
  } finally {
    close();
  }
  return 0;
}

async function cmdInspect(o: ParsedOptions, file: string, io: Io): Promise<number> {
  if (isPairDir(file)) {
    const meta = readPairMeta(file);
    io.out(o.json ? `${JSON.stringify(meta, null, 2)}\n` : `${describePair(file, meta).join('\n')}\n`);
    return 0;
  }
  const ckpt = Checkpoint.read(file);
  const desc = ckpt.meta<ModelDescription>('model');
  const run = ckpt.meta<RunState>('run');
  const tensors = [...ckpt.content.tensors.values()];
  const extra: Record<string, unknown> = {};
  const exts = getExtensions().filter((e) => e.inspect);
  if (exts.length) {
    // Extensions may need the weights (e.g. γ statistics): rebuild on the reference backend.
    await init({ backend: 'cpu' });
    try {
      const { model } = restore(ckpt);
      for (const e of exts) {
        const r = await e.inspect!(ckpt, model);
        if (r) extra[e.name] = r;
      }
    } finally {
      close();
    }
  }
  const last = run.history[run.history.length - 1] ?? null;
  const info = {
    file, arch: desc.arch, options: desc.options, widths: desc.widths,
    parameters: ckpt.modelKeys().filter((k) => !k.includes('running_') && !k.endsWith('num_batches_tracked')).reduce((s, k) => s + ckpt.content.tensors.get(k)!.shape.reduce((a, b) => a * b, 1), 0),
    tensors: tensors.length, bytes: tensors.reduce((s, t) => s + t.bytes.length, 0),
    epochsDone: run.epochsDone, epochsTotal: run.config.epochs + run.shift, config: run.config, last, plugin: ckpt.content.metadata.pluginName ?? null,
    ...(ckpt.hasMeta('split') ? { split: ckpt.meta<Record<string, unknown>>('split') } : {}), ...extra,
  };
  if (o.json) {
    io.out(`${JSON.stringify(info, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `${file}`,
    `  model       ${desc.arch} (in ${desc.options.inChannels}×${desc.options.inputSize}², ${desc.options.numClasses} classes, width ×${desc.options.widthMultiplier}), ${info.parameters} parameters`,
    `  run         ${run.config.dataset}, epoch ${run.epochsDone}/${info.epochsTotal}, seed ${run.config.seed}${info.plugin ? `, plugin ${info.plugin}` : ''}`,
    last ? `  last epoch  lr ${fmtLr(last.lr as number)} train loss ${(last.trainLoss as number).toFixed(4)} acc ${(100 * (last.trainAcc as number)).toFixed(2)}% | test loss ${(last.testLoss as number).toFixed(4)} acc ${(100 * (last.testAcc as number)).toFixed(2)}%` : '  (no epoch finished)',
    `  tensors     ${info.tensors} (${(info.bytes / 1024).toFixed(1)} KiB)`,
    ...(info.split ? [`  split       ${info.split.note}`] : []),
    '  layer widths:',
    ...Object.entries(desc.widths).map(([k, v]) => `    ${k.padEnd(28)}${v}`),
  ];
  for (const [k, v] of Object.entries(extra)) {
    const fmt = exts.find((e) => e.name === k)?.formatInspect;
    lines.push(...(fmt ? fmt(v as Record<string, unknown>).map((l) => `  ${l}`) : [`  ${k}:`, ...JSON.stringify(v, null, 2).split('\n').map((l) => `    ${l}`)]));
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

async function cmdExport(o: ParsedOptions, file: string, out: string, io: Io): Promise<number> {
  if (!o.split) throw new UsageError('export', 'give --split (the split for deployment, the only export): rejuv export --split CKPT OUT');
  if ((o['check-images'] as number) < 0) throw new UsageError('export', `--check-images must be ≥ 0, got ${o['check-images']}`);
  await withoutDawnLimitWarnings(() => init({ backend: o.backend as 'webgpu' | 'cpu' }));
  try {
    const { meta } = await exportSplit(file, out, { checkImages: o['check-images'] as number, overwrite: Boolean(o.overwrite) });
    io.out(o.json ? `${JSON.stringify(meta, null, 2)}\n` : `${describePair(out, meta).join('\n')}\n`);
  } finally {
    close();
  }
  return 0;
}

async function cmdDemo(o: ParsedOptions, io: Io): Promise<number> {
  const base: ParsedOptions = {
    model: 'vgg_mini', width: o.width, dataset: 'mnist', epochs: o.epochs, 'batch-size': 32, lr: 0.05, momentum: 0.9, 'weight-decay': 1e-4,
    schedule: 'multistep', gamma: 0.1, seed: o.seed, 'train-limit': o['train-limit'], 'test-limit': o['test-limit'], backend: o.backend,
  };
  const knobs = { lambda: o.lambda as number, monitorEpochs: o['monitor-epochs'] as number };
  const variants = [{ label: 'baseline', options: {} as ParsedOptions }, ...(o['baseline-only'] ? [] : getExtensions().filter((e) => e.demo).map((e) => ({ label: e.demo!.label, options: e.demo!.options(knobs) })))];
  io.err(`rejuv demo: vgg_mini ×${o.width} on ${o['train-limit']} MNIST training images (embedded), ${o.epochs} nominal epochs, ${variants.map((v) => v.label).join(' vs ')}`
    + `${variants.length > 1 ? ` (λ ${o.lambda} per step, at most ${o['monitor-epochs']} monitoring epochs)` : ''}\n`);
  const rows: string[][] = [];
  await withoutDawnLimitWarnings(() => init({ backend: o.backend as 'webgpu' | 'cpu' }));
  try {
    for (const v of variants) {
      const dir = join(o.out as string, v.label.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
      // The demo's own folders: rerunning `npm start` replaces the previous demo run.
      const cfg = trainConfig({ ...base, ...v.options, out: dir, overwrite: true });
      const t0 = Date.now();
      io.err(`\n== ${v.label} → ${dir}\n`);
      const r = await new Trainer(cfg, { makePlugin, progress: progressFor(io) }).run();
      const last = r.history[r.history.length - 1];
      if (r.summary) io.err(`${r.summary}\n`);
      // Effective: all parameters minus weights that are zero by construction (Scheme A's cross blocks),
      // from the plugin's conv counts when it reports them.
      const params = last.params as number;
      const effective = typeof last.effectiveParams === 'number' ? params - (last.convParams as number) + last.effectiveParams : params;
      const sp = DEMO.spread?.finalAcc[v.label];
      const regimeMatches = DEMO.spread !== null && o.width === DEMO.width && o['train-limit'] === DEMO.trainLimit && o['test-limit'] === DEMO.testLimit
        && o.epochs === DEMO.epochs && o.lambda === DEMO.lambda && o['monitor-epochs'] === DEMO.monitorEpochs;
      rows.push([
        v.label, String(params), String(effective), `${(100 * (last.testAcc as number)).toFixed(2)}%`,
        sp && regimeMatches ? `${sp.mean.toFixed(2)} ± ${sp.std.toFixed(2)}%` : '–',
        `${(100 * Math.max(...r.history.map((h) => h.testAcc as number))).toFixed(2)}%`, String(r.history.length), `${((Date.now() - t0) / 1000).toFixed(0)} s`, join(dir, 'report.html'),
      ]);
    }
  } finally {
    close();
  }
  const head = ['variant', 'dense params', 'effective params', 'final test acc', `regime, seeds ${DEMO.spread?.seeds.join(',') ?? '–'}`, 'best test acc*', 'epochs', 'time', 'report'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ');
  io.out(`\n${fmt(head)}\n${w.map((n) => '-'.repeat(n)).join('  ')}\n${rows.map(fmt).join('\n')}\n`);
  io.out(`* best over epochs, selected on the test set. "regime": mean ± std of the final test accuracy over those seeds (docs/results.md, "The demo's regime"); – when the options differ from the regime or no sweep was recorded.\n`);
  return 0;
}

/** Run the command line; returns the exit code (errors are printed, never thrown). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  const cmds = commands();
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && cmds[rest[0]]) io.out(`${formatHelp(cmds[rest[0]])}\n`);
    else io.out(TOP_HELP());
    return 0;
  }
  const cmd = cmds[name];
  if (!cmd) {
    io.err(`rejuv: unknown command '${name}' (commands: ${Object.keys(cmds).join(', ')}; rejuv --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${formatHelp(cmd)}\n`);
    return 0;
  }
  try {
    const { options, positionals, given } = parseOptions(cmd, rest);
    const idle = name === 'train' ? checkExtensionOptions(given) : null;
    if (idle) throw new UsageError('train', idle);
    switch (name) {
      case 'train': return await cmdTrain(options, io);
      case 'eval': return await cmdEval(options, positionals[0], io);
      case 'inspect': return await cmdInspect(options, positionals[0], io);
      case 'profile': return await cmdProfile(options, io.out);
      case 'export': return await cmdExport(options, positionals[0], positionals[1], io);
      default: return await cmdDemo(options, io);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rejuv ${e.command}: ${e.message}\n`);
      return 2;
    }
    io.err(`rejuv ${name}: ${(e as Error).message}\n`);
    if (process.env.REJUV_DEBUG) io.err(`${(e as Error).stack}\n`);
    return 1;
  }
}

const isEntry = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
