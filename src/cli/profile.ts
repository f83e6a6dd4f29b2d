/**
 * `rejuv profile`: where a training step's time goes, per kernel (pipeline key) and per op, on a zoo
 * model and random data. The plain step by default; `--nr` adds Neural Rejuvenation's monitoring
 * (λ·sign(γ) in the update, the γ statistics in the readback); `--post-surgery` profiles the
 * rejuvenated Scheme A network (half of every layer's γ zeroed, then surgery back to the budget).
 * The tables come from src/kernels/webgpu/profiler.ts (timestamp queries, or fenced submits).
 */
import { manualSeed, randn, tensor } from '../ops/creation.js';
import { createModel } from '../nn/models/index.js';
import type { ZooModel } from '../nn/graph.js';
import { SGD } from '../nn/optim.js';
import { NeuralRejuvenation } from '../rejuv/nr.js';
import type { TrainingPlugin } from '../train/plugin.js';
import { close, init } from '../init.js';
import { noGrad } from '../tensor/engine.js';
import * as profile from '../tensor/profile.js';
import { UsageError, type CommandSpec, type ParsedOptions } from './options.js';
import { withoutDawnLimitWarnings } from './quiet-dawn.js';
import type { HostBatch } from '../data/loader.js';
import { forwardLossOf, trainStep } from '../train/step.js';

export const PROFILE_COMMAND: CommandSpec = {
  name: 'profile',
  summary: 'Profile a training step: device time per kernel and per op, host encoding time, GFLOP/s (WebGPU).',
  options: [
    { name: 'model', type: 'string', default: 'vgg_mini', metavar: 'NAME', help: 'zoo architecture' },
    { name: 'width', type: 'number', default: 1, metavar: 'W', help: 'width multiplier' },
    { name: 'batch-size', type: 'int', default: 64, metavar: 'B', help: 'batch size' },
    { name: 'input', type: 'numbers', default: [1, 28, 28], metavar: 'C,H,W', help: 'input shape of one image' },
    { name: 'classes', type: 'int', default: 10, metavar: 'K', help: 'classes' },
    { name: 'steps', type: 'int', default: 10, metavar: 'N', help: 'profiled steps (after 3 unprofiled ones)' },
    { name: 'nr', type: 'boolean', help: "Neural Rejuvenation's monitoring step (λ·sign(γ), γ statistics)" },
    { name: 'post-surgery', type: 'boolean', help: 'the rejuvenated Scheme A network (half of every layer dead, then surgery)' },
    { name: 'mode', type: 'string', choices: ['timestamp', 'fenced'], help: "device timing: 'timestamp' queries (default where the adapter has them) or 'fenced' submits" },
    { name: 'json', type: 'boolean', help: 'print the tables as JSON' },
  ],
};

/** Which training step: plain, NR monitoring (λ·sign(γ), γ statistics), or after an NR surgery. */
export type StepKind = 'plain' | 'nr' | 'post-surgery';

export interface SyntheticStepOptions {
  model: string;
  width: number;
  batchSize: number;
  /** One image: [C, H, W]. */
  input: readonly number[];
  classes: number;
  kind: StepKind;
}

export interface SyntheticStep {
  /** One training step with its one readback; resolves with the loss. */
  step: () => Promise<number>;
  /** The network being trained (after surgery: the rejuvenated one). */
  model: ZooModel;
  what: string;
  dispose(): void;
}

/**
 * A training step of a zoo model on a fixed random batch (seed 0 weights, seed 1 inputs, labels
 * i mod classes), SGD momentum 0.9, weight decay 1e-4, lr 0.05: what `rejuv profile` and
 * `npm run bench -- train-step` time. 'post-surgery' zeroes half of every layer's γ, then rejuvenates
 * back to the budget (Scheme A).
 */
export async function syntheticStep(o: SyntheticStepOptions): Promise<SyntheticStep> {
  const [c, h, w] = o.input;
  const b = o.batchSize;
  manualSeed(0);
  let model: ZooModel = createModel(o.model, { widthMultiplier: o.width, inChannels: c, inputSize: h, numClasses: o.classes });
  let nr: NeuralRejuvenation | null = null;
  let plugin: TrainingPlugin | null = null;
  let what = `${o.model} ×${o.width}, batch ${b}, input ${c}×${h}×${w}: plain step`;
  if (o.kind !== 'plain') {
    nr = new NeuralRejuvenation(model, { lambda: 1e-2, target: 0.5, scheme: 'a' });
    what = what.replace('plain step', 'NR monitoring step');
    if (o.kind === 'post-surgery') {
      noGrad(() => {
        for (const u of model.convBnUnits()) {
          const n = u.conv.outChannels;
          u.bn.registerParameter('weight', tensor(Float32Array.from({ length: n }, (_, i) => (i % 2 ? 0 : 0.5))));
        }
      });
      const res = await nr.rejuvenate();
      model = nr.model;
      what = what.replace('NR monitoring step', `post-surgery step (Scheme A, ${res.denseParams} dense / ${res.effectiveParams} effective conv params)`);
    }
    plugin = nr.plugin();
  }
  const opt = new SGD(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  if (plugin) opt.extras = (n) => plugin!.paramUpdateExtras?.(n);
  const xr = randn([b, c, h, w], { seed: 1 });
  const host: HostBatch = { x: (await xr.toArray()) as Float32Array, y: Int32Array.from({ length: b }, (_, i) => i % o.classes), shape: [b, c, h, w] };
  xr.dispose();
  // The trainer's step (src/train/step.ts): the batch is uploaded every step, as in training.
  const fwd = forwardLossOf(() => model, () => plugin);
  const step = async (): Promise<number> => (await trainStep(model, opt, fwd, plugin, host)).objective;
  return { step, model, what, dispose: () => { [opt, model].forEach((t) => t.dispose()); nr?.dispose(); } };
}

export async function cmdProfile(o: ParsedOptions, out: (s: string) => void): Promise<number> {
  const input = o.input as number[];
  if (input.length !== 3 || input.some((v) => !Number.isInteger(v) || v < 1)) throw new UsageError('profile', `--input must be C,H,W (three positive integers), got ${input.join(',')}`);
  for (const k of ['batch-size', 'steps', 'classes'] as const) if ((o[k] as number) < 1) throw new UsageError('profile', `--${k} must be ≥ 1, got ${o[k]}`);
  await withoutDawnLimitWarnings(() => init({ backend: 'webgpu' }));
  try {
    const kind: StepKind = o['post-surgery'] ? 'post-surgery' : o.nr ? 'nr' : 'plain';
    const s = await syntheticStep({ model: o.model as string, width: o.width as number, batchSize: o['batch-size'] as number, input, classes: o.classes as number, kind });
    for (let i = 0; i < 3; i++) await s.step();
    profile.start(o.mode as 'timestamp' | 'fenced' | undefined);
    profile.section('step');
    // trainStep (src/train/step.ts) marks each step's end for the profiler itself.
    for (let i = 0; i < (o.steps as number); i++) await s.step();
    const p = (await profile.stop())!;
    s.dispose();
    if (o.json) out(`${JSON.stringify({ what: s.what, ...p.table('step') }, null, 2)}\n`);
    else out(`${s.what}\n${p.format()}\n`);
  } finally {
    close();
  }
  return 0;
}
