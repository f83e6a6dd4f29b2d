/**
 * `NeuralRejuvenation`: the method as one object over a zoo model (docs/method.md §1.3). It monitors dead
 * neurons on device (one γ-statistics dispatch, counts read back with the step's loss), controls λ,
 * performs the surgery when utilization ≤ T, then trains the mixed network (Scheme A: masks + two
 * heads). `plugin()` adapts it to the trainer's `TrainingPlugin` hooks.
 */
import type { ZooModel } from '../nn/graph.js';
import { add } from '../ops/elementwise.js';
import { tidy } from '../tensor/engine.js';
import { fail } from '../core/errors.js';
import { readAll, type Tensor } from '../tensor/tensor.js';
import type { EpochContext, EpochDecision, StepOutputs, TrainingPlugin } from '../train/plugin.js';
import type { GammaStats } from './ops.js';
import { GammaMonitor } from './gamma-monitor.js';
import { channelGraphOf, type ModelGraph } from './fromModel.js';
import { crossEntropyLoss, twoHeadLoss, twoHeads } from './heads.js';
import { correctCount } from '../train/step.js';
import { LambdaController, type LambdaState } from './lambda.js';
import { planWidths, resource, type ResourceMode, type WidthPlan } from './plan.js';
import { neuralRescale, installScheme, type Scheme } from './schemes.js';
import { rejuvenateModel, type Split, type SurgeryResult } from './surgery.js';

export interface NROptions {
  /** Rejuvenate when utilization ≤ target (spec: 0.25 CIFAR, 0.5 ImageNet); ≥ 0.999 disables NR. */
  target?: number;
  /** Constant λ (default 1.5e-4, the CIFAR VGG-19 value). */
  lambda?: number;
  /** Adaptive λ (method §5.3): start at lambda0, +step whenever utilization fell by < delta. */
  adaptive?: boolean | { lambda0?: number; step?: number; delta?: number };
  /** Training scheme after surgery: 'a' (cross connections removed) or 'b' (cross-attention); two heads either way. */
  scheme?: Scheme;
  /** Neural rescaling (method §9) right after surgery, with target T_γ (true = 0.5). */
  rescale?: boolean | number;
  /** Rejuvenation rounds (the paper: 1). After a round that is not the last, monitoring resumes with the initial λ. */
  rounds?: number;
  resource?: ResourceMode;
  /** Floor the expansion rate to an integer (the CIFAR DenseNet, method §6.1). */
  integerRate?: boolean;
  /** Also check utilization every N steps (λ control; surgery still waits for the epoch end). */
  checkEverySteps?: number;
  /** Seed of the new neurons' initialization. */
  seed?: number;
  /**
   * Beyond the paper, a budget guard: rejuvenate at the end of this monitoring epoch even if utilization
   * is still above the target (the run is reported as forced). Unset: see `monitorLimit`.
   */
  maxMonitorEpochs?: number;
  /**
   * Without `maxMonitorEpochs`: after this many monitoring epochs (default `DEFAULT_MONITOR_LIMIT`, 30)
   * with utilization still above the target, monitoring ends without surgery: the L1 term stops, the
   * network trains on as it is, and the run reports "target not reached" (λ was too weak).
   */
  monitorLimit?: number;
}

/** Monitoring epochs after which, without `maxMonitorEpochs`, an unreached target ends monitoring. */
export const DEFAULT_MONITOR_LIMIT = 30;

/** The surgery, as recorded in metrics.jsonl (the `surgery` key of its epoch's row) and the checkpoint. */
export interface SurgeryRecord {
  /** Epochs completed when it happened (it follows that epoch's check) and optimizer steps so far. */
  epoch: number;
  step: number;
  /** Utilization at the check that triggered it, the target, and whether `maxMonitorEpochs` forced it above the target. */
  utilization: number;
  target: number;
  forced: boolean;
  /** λ in effect up to the surgery (0 from then on). */
  lambda: number;
  layers: string[];
  alive: number[];
  widthsBefore: number[];
  widths: number[];
  rate: number;
  /** Conv parameters of NR units: before, after (dense), and after without Scheme A's zero cross blocks. */
  convParamsBefore: number;
  denseParams: number;
  effectiveParams: number;
}

/** Monitoring that ended without surgery (`monitorLimit`): utilization never reached the target. */
export interface UnreachedRecord {
  epoch: number;
  monitorEpochs: number;
  utilization: number;
  target: number;
  lambda: number;
}

/** The dead rule applied to the current network's own γ (after surgery: S and R channels counted apart). */
export interface CurrentAlive {
  alive: number[];
  utilization: number;
  aliveS?: number[];
  aliveR?: number[];
}

export type NRPhase = 'monitor' | 'rejuvenated' | 'unreached';

export interface UtilPoint {
  step: number;
  epoch: number;
  utilization: number;
  lambda: number;
}

export interface NRState {
  phase: NRPhase;
  lambda: LambdaState;
  history: UtilPoint[];
  steps: number;
  epochs: number;
  rejuvenatedAtEpoch: number | null;
  forcedAtEpoch?: number | null;
  roundsDone: number;
  split: Split | null;
  plan: { rate: number; alive: number[]; widths: number[] } | null;
  effectiveParams: number | null;
  lastAlive: number[] | null;
  surgery?: SurgeryRecord | null;
  unreached?: UnreachedRecord | null;
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const fmtNum = (x: number): string => (x === 0 ? '0' : String(Number(x.toPrecision(3))));

export class NeuralRejuvenation {
  model: ZooModel;
  readonly target: number;
  readonly mode: ResourceMode;
  lambda: LambdaController;
  readonly opts: NROptions;
  readonly rounds: number;
  roundsDone = 0;
  private readonly makeLambda: () => LambdaController;
  phase: NRPhase = 'monitor';
  history: UtilPoint[] = [];
  steps = 0;
  epochs = 0;
  rejuvenatedAtEpoch: number | null = null;
  /** The epoch at which `maxMonitorEpochs` forced a rejuvenation above the target (null: it was not). */
  forcedAtEpoch: number | null = null;
  split: Split | null = null;
  lastPlan: WidthPlan | null = null;
  effectiveParams: number | null = null;
  /** Alive counts from the latest readback (per unit). */
  lastAlive: number[] | null = null;
  /** The last surgery (null before it). */
  surgery: SurgeryRecord | null = null;
  /** Set when monitoring ended without reaching the target (`monitorLimit`). */
  unreached: UnreachedRecord | null = null;
  /** After monitoring: the current network's alive counts, refreshed at every epoch end. */
  current: CurrentAlive | null = null;
  readonly monitorLimit: number;
  private mg: ModelGraph;
  /** The dead rule on device (the layer table for the γ-statistics kernel). */
  private monitor: GammaMonitor;
  private regularized = new Set<string>();

  constructor(model: ZooModel, opts: NROptions = {}) {
    this.model = model;
    this.opts = opts;
    this.target = opts.target ?? 0.25;
    if (!(this.target > 0 && this.target <= 1)) fail('NeuralRejuvenation', `target must be in (0, 1], got ${this.target}`);
    this.mode = opts.resource ?? 'params';
    if (opts.scheme !== undefined && opts.scheme !== 'a' && opts.scheme !== 'b') fail('NeuralRejuvenation', `scheme must be 'a' or 'b', got '${opts.scheme}'`);
    this.rounds = opts.rounds ?? 1;
    this.monitorLimit = opts.monitorLimit ?? DEFAULT_MONITOR_LIMIT;
    if (!Number.isInteger(this.monitorLimit) || this.monitorLimit < 1) fail('NeuralRejuvenation', `monitorLimit must be a positive integer, got ${opts.monitorLimit}`);
    if (!Number.isInteger(this.rounds) || this.rounds < 1) fail('NeuralRejuvenation', `rounds must be a positive integer, got ${opts.rounds}`);
    const ad = opts.adaptive;
    this.makeLambda = () => ad
      ? new LambdaController({ mode: 'adaptive', ...(typeof ad === 'object' ? ad : {}) })
      : new LambdaController({ mode: 'constant', lambda: opts.lambda ?? 1.5e-4 });
    this.lambda = this.makeLambda();
    if (this.target >= 0.999) {
      this.phase = 'rejuvenated'; // NR disabled: plain training (method §5.1)
      this.lambda.stop();
    }
    this.monitor = new GammaMonitor(model);
    this.mg = this.monitor.graph;
    this.indexParams();
  }

  private indexParams(): void {
    const paths = new Map(this.model.namedModules().map(([p, m]) => [m, p]));
    this.regularized = new Set(this.mg.units.filter((u) => !u.fixed).map((u) => `${paths.get(u.bn)}.weight`));
  }

  /** The γ statistics of every unit, on device (call inside tidy; the caller reads what it needs). */
  stats(): GammaStats {
    return this.monitor.stats();
  }

  async aliveCounts(): Promise<number[]> {
    this.lastAlive = await this.monitor.aliveCounts();
    return this.lastAlive;
  }

  /** Per unit, per channel: true where the neuron is dead (method §3). */
  async deadMasks(): Promise<boolean[][]> {
    const mask = tidy(() => this.stats().mask);
    const [m] = await readAll([mask]);
    mask.dispose();
    let off = 0;
    return this.mg.graph.units.map((u) => {
      const d = Array.from(m.subarray(off, off + u.out), (v) => v === 0);
      off += u.out;
      return d;
    });
  }

  private flopsReady(): void {
    if (this.mode === 'flops' && this.mg.graph.units.some((u) => u.outArea === undefined)) {
      this.mg = channelGraphOf(this.model); // output sizes are recorded on the first forward
      if (this.mg.graph.units.some((u) => u.outArea === undefined)) fail('NeuralRejuvenation', 'FLOPs mode needs one forward pass first (conv output sizes are recorded on forward)');
    }
  }

  utilizationOf(alive: readonly number[], mode: ResourceMode = this.mode): number {
    if (mode === 'flops') this.flopsReady();
    const r = resource(this.mg.graph, alive, mode);
    return r.all === 0 ? 1 : r.live / r.all;
  }

  async utilization(mode: ResourceMode = this.mode): Promise<number> {
    return this.utilizationOf(await this.aliveCounts(), mode);
  }

  /** The widths a rejuvenation would produce now. */
  async plannedWidths(): Promise<WidthPlan> {
    if (this.mode === 'flops') this.flopsReady();
    return planWidths(this.mg.graph, await this.aliveCounts(), { mode: this.mode, integerRate: this.opts.integerRate });
  }

  /** Surgery now: replaces `this.model` (the old one is disposed) and switches to the mixed-network phase. */
  async rejuvenate(): Promise<SurgeryResult> {
    if (this.mode === 'flops') this.flopsReady();
    const dead = await this.deadMasks();
    const before = { layers: this.mg.graph.units.map((u) => u.name), widths: this.mg.graph.units.map((u) => u.out), conv: this.convParams(), lambda: this.lambda.value };
    const res = rejuvenateModel(this.model, this.mg, dead.map((d) => d.map((x) => !x)), {
      mode: this.mode, integerRate: this.opts.integerRate, seed: (this.opts.seed ?? 0) + this.roundsDone, masks: false,
    });
    installScheme(res.model, res.split, this.opts.scheme ?? 'a');
    if (this.opts.rescale) await neuralRescale(res.model, res.split, typeof this.opts.rescale === 'number' ? this.opts.rescale : 0.5);
    this.model.dispose();
    this.model = res.model;
    this.monitor.dispose();
    this.monitor = new GammaMonitor(this.model);
    this.mg = this.monitor.graph;
    this.indexParams();
    this.split = res.split;
    this.lastPlan = res.plan;
    this.effectiveParams = (this.opts.scheme ?? 'a') === 'b' ? res.denseParams : res.effectiveParams;
    this.roundsDone++;
    this.rejuvenatedAtEpoch = this.epochs;
    const r = res.plan.resource;
    this.surgery = {
      epoch: this.epochs, step: this.steps, utilization: r.all === 0 ? 1 : r.live / r.all, target: this.target, forced: false, lambda: before.lambda,
      layers: before.layers, alive: res.plan.alive, widthsBefore: before.widths, widths: res.plan.widths, rate: res.plan.rate,
      convParamsBefore: before.conv, denseParams: res.denseParams, effectiveParams: this.effectiveParams,
    };
    if (this.roundsDone < this.rounds) {
      this.lambda = this.makeLambda(); // the next round monitors the mixed network from the initial λ
    } else {
      this.phase = 'rejuvenated';
      this.lambda.stop();
    }
    return res;
  }

  /** Loss and correct count of a batch in the current phase (called inside tidy). */
  forwardLoss(x: Tensor, y: Tensor): StepOutputs {
    if (this.split) return twoHeadLoss(this.model, x, y, this.split.classifierS);
    const logits = this.model.forward(x);
    return { loss: crossEntropyLoss(logits, y), correct: correctCount(logits, y) };
  }

  /** The prediction logits, as `forwardLoss` predicts: z_S + z_R once rejuvenated (method §8.2), model(x) before. */
  logits(x: Tensor): Tensor {
    if (!this.split) return this.model.forward(x);
    const { zS, zR } = twoHeads(this.model, x, this.split.classifierS);
    return add(zS, zR);
  }

  /** L1 strength for a parameter in the fused update: λ on non-fixed γ while monitoring. */
  l1For(paramName: string): number {
    return this.phase === 'monitor' && this.regularized.has(paramName) ? this.lambda.value : 0;
  }

  private record(alive: number[]): number {
    this.lastAlive = alive;
    const u = this.utilizationOf(alive);
    this.history.push({ step: this.steps, epoch: this.epochs, utilization: u, lambda: this.lambda.value });
    return u;
  }

  /** NR was switched off by its target (≥ 0.999): plain training, nothing to monitor or report. */
  get disabled(): boolean {
    return this.target >= 0.999;
  }

  /** The dead rule on the current network's γ; S and R channels apart once the network is mixed. */
  async currentAlive(): Promise<CurrentAlive> {
    if (!this.split) {
      const alive = await this.aliveCounts();
      return { alive, utilization: this.utilizationOf(alive) };
    }
    const dead = await this.deadMasks();
    // Every unit's output channels are in the order survived (S, the first aOut) then rejuvenated (R).
    const aliveS = dead.map((d, l) => d.slice(0, this.split!.aOut[l]).filter((x) => !x).length);
    const aliveR = dead.map((d, l) => d.slice(this.split!.aOut[l]).filter((x) => !x).length);
    const alive = aliveS.map((a, l) => a + aliveR[l]);
    this.lastAlive = alive;
    return { alive, aliveS, aliveR, utilization: this.utilizationOf(alive) };
  }

  /** End of an epoch (method §5.1, §10): check, maybe rejuvenate; every monitoring epoch extends the run. */
  async endOfEpoch(): Promise<EpochDecision> {
    this.epochs++;
    this.current = null;
    if (this.phase !== 'monitor') {
      if (!this.disabled) this.current = await this.currentAlive();
      return {};
    }
    const u = this.record(await this.aliveCounts());
    const monitored = this.epochs - (this.rejuvenatedAtEpoch ?? 0);
    const forced = this.opts.maxMonitorEpochs !== undefined && monitored >= this.opts.maxMonitorEpochs;
    if (u <= this.target || forced) {
      this.forcedAtEpoch = u <= this.target ? null : this.epochs;
      const res = await this.rejuvenate();
      this.surgery!.forced = this.forcedAtEpoch !== null;
      return { extendEpochs: 1, extendReason: 'monitoring', modelReplaced: true, model: res.model, message: this.surgeryLine(this.surgery!) };
    }
    if (this.opts.maxMonitorEpochs === undefined && monitored >= this.monitorLimit) {
      // Monitoring always ends: λ was too weak to reach the target in time. No surgery; the L1 term stops.
      this.unreached = { epoch: this.epochs, monitorEpochs: monitored, utilization: u, target: this.target, lambda: this.lambda.value };
      this.phase = 'unreached';
      this.lambda.stop();
      return { extendEpochs: 1, extendReason: 'monitoring', message: `NR: ${this.unreachedText(this.unreached)}; L1 stopped, no surgery: the nominal schedule runs on as a plain network (milestones shifted by ${monitored} epoch${monitored === 1 ? '' : 's'})` };
    }
    this.lambda.observe(u);
    return { extendEpochs: 1, extendReason: 'monitoring' };
  }

  private unreachedText(r: UnreachedRecord): string {
    return `target not reached: u = ${r.utilization.toFixed(3)} > T = ${r.target} after ${r.monitorEpochs} monitoring epoch${r.monitorEpochs === 1 ? '' : 's'} (λ ${fmtNum(r.lambda)}); raise λ (--nr-lambda) or lower --nr-target`;
  }

  private surgeryLine(r: SurgeryRecord): string {
    const why = r.forced ? `forced by --nr-max-monitor-epochs ${this.opts.maxMonitorEpochs} at u ${r.utilization.toFixed(3)} > T ${r.target}` : `u ${r.utilization.toFixed(3)} ≤ T ${r.target}`;
    return `NR surgery after epoch ${r.epoch} (step ${r.step}): ${why}; alive ${r.alive.join(',')} of ${r.widthsBefore.join(',')} → widths ${r.widths.join(',')} (rate ${r.rate.toFixed(3)}); conv parameters ${fmtInt(r.convParamsBefore)} → ${fmtInt(r.denseParams)} dense, ${fmtInt(r.effectiveParams)} effective; λ ${fmtNum(r.lambda)} → 0`;
  }

  /** The console note of the epoch just ended: utilization and λ (after surgery: alive S and R). */
  epochNote(): string | null {
    if (this.disabled) return null;
    const last = this.history[this.history.length - 1];
    if (this.phase === 'monitor' || (this.surgery?.epoch === this.epochs) || (this.unreached?.epoch === this.epochs)) {
      return last ? `u ${last.utilization.toFixed(3)} (T ${this.target}) λ ${fmtNum(last.lambda)}` : null;
    }
    const c = this.current;
    if (!c) return null;
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    return `u ${c.utilization.toFixed(3)}${c.aliveS ? ` (alive S ${sum(c.aliveS)}, R ${sum(c.aliveR!)})` : ''} λ 0`;
  }

  /** One line on the run so far, for the summary. */
  summary(): string | null {
    if (this.disabled) return null;
    if (this.unreached) return `NR: ${this.unreachedText(this.unreached)}; no surgery`;
    const r = this.surgery;
    if (!r) {
      const last = this.history[this.history.length - 1];
      return `NR: still monitoring after ${this.epochs} epochs${last ? ` (u ${last.utilization.toFixed(3)}, T ${this.target})` : ''}`;
    }
    const now = this.current ? `; now u ${this.current.utilization.toFixed(3)}` : '';
    return `NR: surgery after epoch ${r.epoch}${r.forced ? ' (forced)' : ''} at u ${r.utilization.toFixed(3)}: widths ${r.widthsBefore.join(',')} → ${r.widths.join(',')}, rate ${r.rate.toFixed(3)}, conv parameters ${fmtInt(r.denseParams)} dense / ${fmtInt(r.effectiveParams)} effective${now}`;
  }

  /** Conv weights of NR units in the current model (the resource budget R_all in parameter mode). */
  convParams(): number {
    const g = this.mg.graph;
    return resource(g, g.units.map((u) => u.out), 'params').all;
  }

  /**
   * This epoch's NR keys. Monitoring epochs (and the epoch whose check triggered the surgery or ended
   * monitoring): the check's utilization and alive counts, and the λ in effect during the epoch. Later
   * epochs: the current network (`currentAlive`), λ 0. The surgery epoch's row also holds `surgery`.
   */
  metrics(): Record<string, unknown> {
    const last = this.history[this.history.length - 1];
    const surgeryNow = this.surgery !== null && this.surgery.epoch === this.epochs;
    const checked = this.phase === 'monitor' || surgeryNow || this.unreached?.epoch === this.epochs;
    const c = checked ? null : this.current;
    return {
      utilization: c ? c.utilization : surgeryNow ? this.surgery!.utilization : (last?.utilization ?? null),
      lambda: checked && last ? last.lambda : this.lambda.value,
      alivePerLayer: c ? c.alive : surgeryNow ? this.surgery!.alive : this.lastAlive,
      ...(c?.aliveS ? { aliveSPerLayer: c.aliveS, aliveRPerLayer: c.aliveR } : {}),
      phase: checked ? 'monitor' : this.phase,
      target: this.target,
      ...(surgeryNow ? { surgery: this.surgery } : {}),
      ...(this.unreached?.epoch === this.epochs ? { targetNotReached: this.unreached } : {}),
      // Before surgery every conv weight is in use; after it, Scheme A's zero cross blocks are not counted.
      effectiveParams: this.effectiveParams ?? this.convParams(),
      convParams: this.convParams(),
      ...(this.forcedAtEpoch !== null ? { forcedAtEpoch: this.forcedAtEpoch } : {}),
      // The older name of the surgery's rate/widths/alive (scripts read it).
      ...(this.lastPlan && this.rejuvenatedAtEpoch === this.epochs ? { rejuvenated: { rate: this.lastPlan.rate, widths: this.lastPlan.widths, alive: this.lastPlan.alive } } : {}),
    };
  }

  state(): NRState {
    return {
      phase: this.phase, lambda: this.lambda.state(), history: this.history, steps: this.steps, epochs: this.epochs,
      rejuvenatedAtEpoch: this.rejuvenatedAtEpoch, forcedAtEpoch: this.forcedAtEpoch, roundsDone: this.roundsDone, split: this.split,
      plan: this.lastPlan ? { rate: this.lastPlan.rate, alive: this.lastPlan.alive, widths: this.lastPlan.widths } : null,
      effectiveParams: this.effectiveParams, lastAlive: this.lastAlive, surgery: this.surgery, unreached: this.unreached,
    };
  }

  /** Restore after `model` was rebuilt from a checkpoint (with the rejuvenated widths when past surgery). */
  loadState(s: NRState): void {
    if (!s || (s.phase !== 'monitor' && s.phase !== 'rejuvenated' && s.phase !== 'unreached')) fail('NeuralRejuvenation.loadState', `not an NR state: ${JSON.stringify(s)?.slice(0, 200)}`);
    this.phase = s.phase;
    this.lambda.load(s.lambda);
    this.history = s.history;
    this.steps = s.steps;
    this.epochs = s.epochs;
    this.rejuvenatedAtEpoch = s.rejuvenatedAtEpoch;
    this.roundsDone = s.roundsDone ?? (s.split ? 1 : 0);
    this.forcedAtEpoch = s.forcedAtEpoch ?? null;
    this.split = s.split;
    this.effectiveParams = s.effectiveParams;
    this.lastAlive = s.lastAlive;
    this.surgery = s.surgery ?? null;
    this.unreached = s.unreached ?? null;
    this.lastPlan = s.plan ? { ...s.plan, resource: { live: 0, all: 0 } } : null;
    if (this.split) installScheme(this.model, this.split, this.opts.scheme ?? 'a');
  }

  dispose(): void {
    this.monitor.dispose();
  }

  /** The trainer hooks (src/train/plugin.ts). */
  plugin(): TrainingPlugin {
    return {
      name: 'neural-rejuvenation',
      forwardLoss: (x, y) => this.forwardLoss(x, y),
      logits: (x) => this.logits(x),
      stepExtras: () => (this.phase === 'monitor' ? [this.stats().counts] : []),
      afterStep: (extras) => {
        this.steps++;
        if (this.phase !== 'monitor' || extras.length === 0) return;
        this.lastAlive = Array.from(extras[0]);
        const n = this.opts.checkEverySteps;
        if (n && this.steps % n === 0) this.lambda.observe(this.record(this.lastAlive));
      },
      paramUpdateExtras: (name) => {
        const l1 = this.l1For(name);
        return l1 > 0 ? { l1 } : undefined;
      },
      endOfEpoch: (_ctx: EpochContext) => this.endOfEpoch(),
      metrics: () => this.metrics(),
      epochNote: () => this.epochNote(),
      layerNames: () => this.mg.graph.units.map((u) => u.name),
      summary: () => this.summary(),
      state: () => this.state(),
      loadState: (s) => this.loadState(s as NRState),
    };
  }
}
