/**
 * One training run in the tab: a small VGG on the MNIST subset, SGD with momentum through the
 * trainer's fused optimizer, optionally Neural Rejuvenation as a TrainingPlugin (the same interface
 * the Node trainer uses). `step()` runs one batch and does exactly one readback (loss, correct count,
 * the plugin's extras and the neuron monitor's counts and |γ| together); the caller yields to the page
 * between steps so it stays responsive.
 */
import * as rj from '../src/index.js';
import { EpochBatches, type Dataset } from '../src/data/index.js';
import { createModel } from '../src/nn/index.js';
import type { ZooModel } from '../src/nn/graph.js';
import { SGD } from '../src/nn/optim.js';
import type { TrainingPlugin } from '../src/train/plugin.js';
import { evaluateModel, forwardLossOf, trainStep, type ForwardLoss } from '../src/train/step.js';
import { NeuronMonitor, type NeuronSnapshot } from './monitor.js';

export interface PageNROptions {
  enabled: boolean;
  /** Rejuvenate when utilization falls to this share. */
  target: number;
  /** Sparsity strength λ on the batch-norm scales. */
  lambda: number;
}

export interface SessionOptions {
  model: string;
  width: number;
  batchSize: number;
  lr: number;
  trainCount: number;
  testCount: number;
  seed: number;
  nr: PageNROptions;
}

/** Builds the NR plugin for a model; `dispose` frees what it holds on the device. */
export type PluginFactory = (model: ZooModel, o: PageNROptions) => { plugin: TrainingPlugin; dispose(): void };

export interface StepReport {
  step: number;
  epoch: number;
  loss: number;
  /** Accuracy on this batch. */
  acc: number;
  imagesPerSec: number;
  neurons: NeuronSnapshot;
  /** λ in force (0 without NR). */
  lambda: number;
  /** The plugin's metrics (utilization, phase, …), when NR is on. */
  nr: Record<string, unknown> | null;
}

export interface EpochReport {
  epoch: number;
  step: number;
  testLoss: number;
  testAcc: number;
  params: number;
  /** What the plugin decided (e.g. 'rejuvenated: widths …'). */
  event: string | null;
}

export class Session {
  model: ZooModel;
  private optimizer: SGD;
  private monitor: NeuronMonitor;
  private readonly plugin: TrainingPlugin | null;
  private readonly disposePlugin: () => void;
  private batches: EpochBatches;
  private batchIndex = 0;
  epoch = 0;
  steps = 0;
  private images = 0;
  private busySeconds = 0;

  constructor(readonly opts: SessionOptions, readonly data: Dataset, makePlugin: PluginFactory) {
    const t = data.train;
    rj.manualSeed(opts.seed);
    this.model = createModel(opts.model, { widthMultiplier: opts.width, inChannels: t.channels, inputSize: t.height, numClasses: t.numClasses });
    const made = opts.nr.enabled ? makePlugin(this.model, opts.nr) : null;
    this.plugin = made?.plugin ?? null;
    this.disposePlugin = made ? () => made.dispose() : () => {};
    this.optimizer = this.makeOptimizer();
    this.monitor = new NeuronMonitor(this.model);
    this.batches = this.epochBatches();
  }

  private makeOptimizer(): SGD {
    const sgd = new SGD(this.model, { lr: this.opts.lr, momentum: 0.9, weightDecay: 1e-4 });
    // NR's sparsity term λ·sign(γ) rides in the same fused update.
    sgd.extras = (name) => this.plugin?.paramUpdateExtras?.(name);
    return sgd;
  }

  private epochBatches(): EpochBatches {
    return new EpochBatches(this.data.train, this.data, { batchSize: this.opts.batchSize, seed: this.opts.seed, epoch: this.epoch, dropLast: true });
  }

  get stepsPerEpoch(): number {
    return this.batches.length;
  }

  private readonly forwardLoss: ForwardLoss = forwardLossOf(() => this.model, () => this.plugin);

  /** One SGD step; ends the epoch (evaluation, the plugin's decision) when it was the epoch's last batch. */
  async step(): Promise<{ step: StepReport; epoch: EpochReport | null }> {
    const t0 = performance.now();
    const host = this.batches.prepare(this.batchIndex);
    // The charted loss is the cross-entropy of the prediction (NR's two heads: CE(z_S + z_R)), as in metrics.jsonl.
    const r = await trainStep(this.model, this.optimizer, this.forwardLoss, this.plugin, host, { extra: () => this.monitor.tensors() });
    if (!Number.isFinite(r.objective)) throw new Error(`session: non-finite loss (${r.objective}) at epoch ${this.epoch + 1}, step ${this.steps + 1}; lower the learning rate and reset`);
    const b = r.images;
    const neurons = this.monitor.snapshot(r.extra);
    this.steps++;
    this.images += b;
    this.busySeconds += (performance.now() - t0) / 1000;
    const nr = this.plugin?.metrics?.() ?? null;
    const step: StepReport = {
      step: this.steps, epoch: this.epoch + this.batchIndex / this.batches.length, loss: r.loss, acc: r.correct / b,
      imagesPerSec: this.images / this.busySeconds, neurons, lambda: typeof nr?.lambda === 'number' ? nr.lambda : 0, nr,
    };
    this.batchIndex++;
    if (this.batchIndex < this.batches.length) return { step, epoch: null };
    return { step, epoch: await this.endEpoch() };
  }

  private async endEpoch(): Promise<EpochReport> {
    const test = await this.evaluate();
    this.epoch++;
    let event: string | null = null;
    const decision = (await this.plugin?.endOfEpoch?.({ epoch: this.epoch, trainLoss: NaN, testAcc: test.acc })) ?? undefined;
    // The plugin disposed the old model when it built the replacement.
    const replaced = decision?.model;
    if (replaced && replaced !== this.model) this.model = replaced;
    if (decision?.modelReplaced || replaced) {
      this.optimizer.dispose();
      this.optimizer = this.makeOptimizer();
      this.monitor.dispose();
      this.monitor = new NeuronMonitor(this.model);
      event = `rejuvenated: widths ${Object.values(this.model.describe().widths).join('·')}`;
    }
    this.batchIndex = 0;
    this.batches = this.epochBatches();
    return { epoch: this.epoch, step: this.steps, testLoss: test.loss, testAcc: test.acc, params: this.model.numParameters(), event };
  }

  /** Test loss and accuracy, accumulated on device: one readback for the whole test subset. */
  async evaluate(): Promise<{ loss: number; acc: number }> {
    if (this.data.test.count === 0) throw new Error('session: the test subset is empty');
    return evaluateModel(this.model, this.data, Math.max(this.opts.batchSize, 64), (x, y) => this.forwardLoss(x, y, false));
  }

  dispose(): void {
    this.disposePlugin();
    this.optimizer.dispose();
    this.monitor.dispose();
    this.model.dispose();
  }
}
