/**
 * The training loop: data → model → loss → backward → fused optimizer step, one host readback per step
 * (loss, correct count and the plugin's extras together), every step inside `tidy`; the step and the
 * evaluation are src/train/step.ts's, shared with the page and the benchmarks. At each epoch end:
 * evaluation, the plugin's decision, then checkpoint, metrics.jsonl and report.html, in that order, so
 * whatever instant the process dies at, DIR holds a consistent last good state to `--resume` from.
 *
 * Determinism for resume: the data order and augmentation of epoch e are pure functions of (seed, e);
 * the LR is a pure function of (config, e, shift); the checkpoint holds weights, buffers, momentum
 * buffers, the global random generator, the plugin's state and the metrics history. A resumed run
 * therefore repeats the uninterrupted run's computation exactly (same kernels, same order).
 */
import { join } from 'node:path';
import { EpochBatches } from '../data/loader.js';
import { loadDataset } from '../data/files.js';
import type { Dataset } from '../data/types.js';
import type { ZooModel } from '../nn/graph.js';
import { generatorState, manualSeed, setGeneratorState } from '../ops/creation.js';
import { backend } from '../tensor/engine.js';
import { RejuvError, fail } from '../core/errors.js';
import * as profile from '../tensor/profile.js';
import type { Tensor } from '../tensor/tensor.js';
import { Checkpoint, OPTIM_PREFIX, saveCheckpoint, toEngine, writeFileAtomic } from './checkpoint.js';
import { lrAt, type TrainConfig } from './config.js';
import { createModel, modelFromDescription, widthsFromList } from '../nn/models/index.js';
import { SGD, type OptimizerState } from '../nn/optim.js';
import type { TrainingPlugin } from './plugin.js';
import { evaluateModel, forwardLossOf, trainStep, type ForwardLoss } from './step.js';
import { checkOutDir, createOutDir, removeIfEmpty, removeRunFiles } from './outdir.js';
import { Progress, fmtDuration, fmtLr } from './progress.js';
import { writeReport, type MetricsRow } from './report.js';

export type PluginMaker = (model: ZooModel, cfg: TrainConfig) => TrainingPlugin | null;

/** What a checkpoint's `run` metadata holds. */
export interface RunState {
  /** Epochs completed. */
  epochsDone: number;
  /** Epochs added by the plugin so far (LR schedule shift). */
  shift: number;
  history: MetricsRow[];
  config: TrainConfig;
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export interface TrainResult {
  history: MetricsRow[];
  checkpoint: string;
  model: ZooModel;
  /** The plugin's one-line account of the run (e.g. NR's surgery, or "target not reached"). */
  summary: string | null;
}

export interface TrainerHooks {
  makePlugin?: PluginMaker;
  progress?: Progress;
  /** Stop (as if killed) after this many epochs of this process; tests use it. */
  stopAfterEpochs?: number;
}

export class Trainer {
  private model!: ZooModel;
  private optimizer!: SGD;
  private plugin: TrainingPlugin | null = null;
  private readonly progress: Progress;
  private data!: Dataset;
  private state!: RunState;
  /** Optimizer steps taken over the whole run (metrics' `step`). */
  private steps = 0;
  /** Folders this run created for --out (removed again if the run fails before writing anything). */
  private createdDirs: string[] = [];

  constructor(private readonly cfg: TrainConfig, private readonly hooks: TrainerHooks = {}) {
    this.progress = hooks.progress ?? new Progress();
  }

  get checkpointPath(): string {
    return join(this.cfg.out, CHECKPOINT_FILE);
  }

  private makeOptimizer(): void {
    this.optimizer?.dispose();
    const c = this.cfg;
    this.optimizer = new SGD(this.model, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov });
    this.optimizer.extras = (name) => this.plugin?.paramUpdateExtras?.(name);
  }

  /** Build everything fresh, or from DIR/checkpoint.safetensors with --resume. */
  private setup(): void {
    const cfg = this.cfg;
    // The folder is checked before anything is created, and created only once the dataset has loaded.
    const out = checkOutDir(cfg.out, { resume: cfg.resume, overwrite: cfg.overwrite });
    this.data = loadDataset(cfg.dataset, { dataDir: cfg.dataDir, trainLimit: cfg.trainLimit, testLimit: cfg.testLimit, trainSubset: cfg.trainSubset, subsetSeed: cfg.subsetSeed });
    const t = this.data.train;
    const resumeFrom = cfg.resume ? Checkpoint.read(this.checkpointPath) : null;
    this.createdDirs = createOutDir(out, cfg.out);
    manualSeed(cfg.seed);
    if (!resumeFrom) {
      const mo = { widthMultiplier: cfg.width, inChannels: t.channels, inputSize: t.height, numClasses: t.numClasses };
      this.model = createModel(cfg.model, { ...mo, widths: cfg.widths ? widthsFromList(cfg.model, mo, cfg.widths, '--widths') : undefined });
      this.plugin = this.hooks.makePlugin?.(this.model, cfg) ?? null;
      this.makeOptimizer();
      this.state = { epochsDone: 0, shift: 0, history: [], config: cfg };
      if (out.runFiles.length) {
        // --overwrite (checkOutDir refused the folder otherwise): the new run has started, the old one goes.
        removeRunFiles(out.dir);
        this.progress.line(`--overwrite: removed the previous run's ${out.runFiles.join(', ')} from ${cfg.out}`);
      }
      return;
    }
    const run = resumeFrom.meta<RunState>('run');
    for (const k of ['model', 'dataset', 'seed', 'batchSize', 'trainLimit', 'testLimit', 'trainSubset', 'subsetSeed', 'width', 'widths'] as const) {
      const [was, now] = [run.config[k], cfg[k]].map((v) => (Array.isArray(v) ? v.join(',') : v));
      if (was !== now) fail('resume', `${this.checkpointPath} was written with --${k} ${was}, this run has ${now}: resuming would not continue the same run`);
    }
    if (JSON.stringify(run.config.plugin ?? {}) !== JSON.stringify(cfg.plugin ?? {})) {
      fail('resume', `${this.checkpointPath} was written with plugin options ${JSON.stringify(run.config.plugin ?? {})}, this run has ${JSON.stringify(cfg.plugin ?? {})}`);
    }
    this.model = modelFromDescription(resumeFrom.meta('model'));
    const sd = resumeFrom.stateDictFor(this.model.stateDict());
    this.model.loadStateDict(sd);
    for (const v of Object.values(sd)) v.dispose();
    this.plugin = this.hooks.makePlugin?.(this.model, cfg) ?? null;
    if (this.plugin?.loadState && resumeFrom.hasMeta('plugin')) this.plugin.loadState(resumeFrom.meta('plugin'));
    this.makeOptimizer();
    const tensors: Record<string, Tensor> = {};
    for (const [p, m] of resumeFrom.optimizerSlots()) for (const [slot, st] of m) tensors[`${p}.${slot}`] = toEngine(st, `${OPTIM_PREFIX}${p}/${slot}`, resumeFrom.file);
    const saved = resumeFrom.meta<{ state: OptimizerState['meta']; steps: number }>('optimizer');
    try {
      this.optimizer.loadStateDict({ meta: saved.state, tensors });
    } catch (e) {
      fail('checkpoint', `${resumeFrom.file}: optimizer state does not fit: ${(e as Error).message}`);
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
    this.steps = saved.steps;
    setGeneratorState(resumeFrom.meta('rng'));
    this.state = { ...run, config: cfg };
    this.progress.line(`resumed from ${this.checkpointPath} after epoch ${run.epochsDone}`);
  }

  get totalEpochs(): number {
    return this.cfg.epochs + this.state.shift;
  }

  async run(): Promise<TrainResult> {
    try {
      return await this.runInner();
    } catch (e) {
      removeIfEmpty(this.createdDirs); // a failed start leaves no empty folder behind
      throw e;
    }
  }

  private async runInner(): Promise<TrainResult> {
    this.setup();
    const cfg = this.cfg;
    let ranHere = 0;
    const runStart = Date.now();
    let imagesDone = 0;
    while (this.state.epochsDone < this.totalEpochs) {
      if (this.hooks.stopAfterEpochs !== undefined && ranHere >= this.hooks.stopAfterEpochs) break;
      const epoch = this.state.epochsDone;
      const lr = lrAt(cfg, epoch, this.state.shift);
      for (const g of this.optimizer.paramGroups) g.lr = lr;
      const t0 = Date.now();
      const train = await this.trainEpoch(epoch, runStart, () => imagesDone, (n) => (imagesDone += n));
      const seconds = (Date.now() - t0) / 1000;
      const test = await this.evaluate();
      if (!Number.isFinite(test.loss)) {
        throw new RejuvError('train', `non-finite test loss (${test.loss}) after epoch ${epoch + 1} (every training step was finite); stopping: ${this.lastGood()}`);
      }
      const decision = (await this.plugin?.endOfEpoch?.({ epoch: epoch + 1, trainLoss: train.loss, testAcc: test.acc })) ?? undefined;
      if (decision?.extendEpochs) this.state.shift += decision.extendEpochs;
      if (decision?.model) this.model = decision.model;
      if (decision?.modelReplaced || decision?.model) this.makeOptimizer();
      const row: MetricsRow = {
        epoch: epoch + 1, lr, trainLoss: train.loss, trainAcc: train.acc, testLoss: test.loss, testAcc: test.acc, ...train.extra,
        imagesPerSec: train.images / seconds, params: this.model.numParameters(), seconds, step: this.steps,
        ...(this.plugin?.metrics?.() ?? {}),
      };
      this.state.history.push(row);
      this.state.epochsDone = epoch + 1;
      await this.saveCheckpoint();
      this.writeOutputs();
      const note = this.plugin?.epochNote?.();
      const n = decision?.extendEpochs ?? 0;
      const added = n ? ` | ${decision?.extendReason ?? `plugin ${this.plugin?.name}`} added ${n} epoch${n === 1 ? '' : 's'}: ${this.totalEpochs} in all` : '';
      this.progress.line(`epoch ${epoch + 1}/${this.totalEpochs} lr ${fmtLr(lr)} train loss ${train.loss.toFixed(4)} acc ${(100 * train.acc).toFixed(2)}% | test loss ${test.loss.toFixed(4)} acc ${(100 * test.acc).toFixed(2)}% | ${(train.images / seconds).toFixed(0)} img/s, ${seconds.toFixed(1)} s${note ? ` | ${note}` : ''}${added}`);
      if (decision?.message) this.progress.line(decision.message);
      ranHere++;
    }
    const summary = this.plugin?.summary?.() ?? null;
    return { history: this.state.history, checkpoint: this.checkpointPath, model: this.model, summary };
  }

  private lastGood(): string {
    return this.state.epochsDone > 0 ? `the last good checkpoint ${this.checkpointPath} (after epoch ${this.state.epochsDone}) is kept` : 'no checkpoint was written yet';
  }

  private readonly forwardLoss: ForwardLoss = forwardLossOf(() => this.model, () => this.plugin);

  private async trainEpoch(epoch: number, runStart: number, imagesSoFar: () => number, addImages: (n: number) => void): Promise<{ loss: number; acc: number; images: number; extra: Record<string, number> }> {
    const cfg = this.cfg;
    this.model.train();
    const batches = new EpochBatches(this.data.train, this.data, { batchSize: cfg.batchSize, seed: cfg.seed, epoch, augment: this.data.augment });
    let next = batches.prepare(0);
    let lossSum = 0, objectiveSum = 0, correct = 0, seen = 0;
    const sums: Record<string, number> = {};
    const t0 = Date.now();
    profile.section('train'); // REJUV_PROFILE=1: counted per training step (no-ops otherwise)
    for (let i = 0; i < batches.length; i++) {
      const host = next;
      // Prepare the next batch on the host while the device works on this one.
      const r = await trainStep(this.model, this.optimizer, this.forwardLoss, this.plugin, host, { whileDeviceWorks: () => { if (i + 1 < batches.length) next = batches.prepare(i + 1); } });
      this.steps++;
      if (!Number.isFinite(r.objective)) {
        throw new RejuvError('train', `non-finite loss (${r.objective}) at epoch ${epoch + 1}, step ${i + 1}; stopping: ${this.lastGood()}`);
      }
      const b = r.images;
      objectiveSum += r.objective * b;
      for (const [k, v] of Object.entries(r.parts)) sums[k] = (sums[k] ?? 0) + v * b;
      lossSum += r.loss * b;
      correct += r.correct;
      seen += b;
      addImages(b);
      const elapsed = (Date.now() - t0) / 1000;
      const ips = seen / Math.max(elapsed, 1e-3);
      const left = (batches.length - i - 1) * cfg.batchSize + (this.totalEpochs - epoch - 1) * this.data.train.count;
      const overall = imagesSoFar() / Math.max((Date.now() - runStart) / 1000, 1e-3);
      this.progress.step({ epoch: epoch + 1, epochs: this.totalEpochs, done: i + 1, total: batches.length, loss: lossSum / seen, acc: correct / seen, imagesPerSec: ips, etaSec: left / overall });
    }
    // With a separate prediction loss, the backpropagated objective and the parts are recorded beside it.
    const extra: Record<string, number> = {};
    if (Object.keys(sums).length) {
      extra.trainObjective = objectiveSum / seen;
      for (const [k, v] of Object.entries(sums)) if (k !== 'trainLoss') extra[k] = v / seen;
    }
    return { loss: lossSum / seen, acc: correct / seen, images: seen, extra };
  }

  /** Test loss and accuracy, accumulated on device: one readback for the whole test set. */
  async evaluate(): Promise<{ loss: number; acc: number }> {
    return evaluateModel(this.model, this.data, this.cfg.batchSize, (x, y) => this.forwardLoss(x, y, false));
  }

  private async saveCheckpoint(): Promise<void> {
    const tensors: [string, Tensor][] = Object.entries(this.model.stateDict());
    const opt = this.optimizer.stateDict();
    for (const [key, t] of Object.entries(opt.tensors)) {
      const dot = key.lastIndexOf('.');
      tensors.push([`${OPTIM_PREFIX}${key.slice(0, dot)}/${key.slice(dot + 1)}`, t]);
    }
    const meta: Record<string, unknown> = {
      model: this.model.describe(),
      run: this.state,
      rng: generatorState(),
      optimizer: { state: opt.meta, steps: this.steps },
      dataset: { name: this.data.name, train: this.data.train.source, mean: this.data.mean, std: this.data.std },
    };
    if (this.plugin) meta.pluginName = this.plugin.name;
    if (this.plugin?.state) meta.plugin = this.plugin.state();
    await saveCheckpoint(this.checkpointPath, tensors, meta);
  }

  private writeOutputs(): void {
    const rows = this.state.history;
    writeFileAtomic(join(this.cfg.out, 'metrics.jsonl'), new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'));
    const last = rows[rows.length - 1];
    const c = this.cfg;
    writeReport(join(this.cfg.out, 'report.html'), `rejuv: ${c.model} on ${c.dataset}${this.plugin ? ` (${this.plugin.name})` : ''}`, {
      model: `${c.model} (${c.widths ? `widths ${c.widths.join(',')}` : `width ×${c.width}`}), ${last.params} parameters`,
      dataset: `${this.data.name}: ${this.data.train.count} train / ${this.data.test.count} test`,
      schedule: `${c.epochs} epochs${this.state.shift ? ` + ${this.state.shift} added` : ''}, batch ${c.batchSize}, lr ${c.lr} (${c.schedule}${c.schedule === 'multistep' ? ` at ${c.milestones.join(', ') || 'none'}` : ''}), momentum ${c.momentum}, wd ${c.weightDecay}, seed ${c.seed}`,
      progress: `epoch ${last.epoch}/${this.totalEpochs}: test accuracy ${(100 * (last.testAcc as number)).toFixed(2)}%, ${fmtDuration(rows.reduce((s, r) => s + (r.seconds as number), 0))} of training`,
      ...(this.plugin?.summary?.() ? { [this.plugin.name]: this.plugin.summary!()! } : {}),
      device: backend().info().description || backend().name,
    }, rows, this.plugin?.layerNames?.());
  }
}
