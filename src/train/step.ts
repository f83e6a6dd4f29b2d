/**
 * One training step and one evaluation pass: the browser-safe core that the CLI trainer
 * (src/train/trainer.ts), the browser page (web/session.ts) and the benchmarks share. A step is
 * forward → loss → backward → the optimizer's fused update, all inside one `tidy`, then exactly one
 * host readback of every scalar the step reports (loss, correct count, the prediction loss and its
 * parts, the plugin's extras, and whatever the caller adds). Evaluation accumulates on the device and
 * reads back once for the whole test split.
 */
import type { HostBatch } from '../data/loader.js';
import { EpochBatches } from '../data/loader.js';
import type { Dataset } from '../data/types.js';
import type { TypedArray } from '../core/dtype.js';
import type { ZooModel } from '../nn/graph.js';
import type { Optimizer } from '../nn/optim.js';
import { cast, detach, tensor } from '../ops/creation.js';
import { add, eq, mul } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { argmax, sum } from '../ops/reduce.js';
import { backend, noGrad, tidy } from '../tensor/engine.js';
import * as profile from '../tensor/profile.js';
import { readAll, type Tensor } from '../tensor/tensor.js';
import type { StepOutputs, TrainingPlugin } from './plugin.js';

/**
 * A readback key per model (src/kernels/webgpu/pacer.ts learns how long the device takes per key): the
 * steps of one network cost the same, another network (a surgery, a benchmark's second model) its own.
 */
const paceIds = new WeakMap<ZooModel, number>();
let nextPaceId = 0;
const paceId = (m: ZooModel): number => {
  if (!paceIds.has(m)) paceIds.set(m, nextPaceId++);
  return paceIds.get(m)!;
};

/** Correct predictions in a batch (float32 scalar): argmax over classes against the labels. */
export const correctCount = (logits: Tensor, labels: Tensor): Tensor => sum(cast(eq(argmax(detach(logits), 1), labels), 'float32'));

/** Default loss and correct-count: cross-entropy on model(x), argmax over classes. */
export function defaultForwardLoss(model: ZooModel, x: Tensor, y: Tensor): StepOutputs {
  const logits = model.forward(x);
  return { loss: crossEntropy(logits, y), correct: correctCount(logits, y) };
}

/** The loss function a run trains and evaluates with: the plugin's, else the default. */
export type ForwardLoss = (x: Tensor, y: Tensor, training: boolean) => StepOutputs;
/** Reads the model and the plugin at each call: surgery replaces the model, a resume makes the plugin late. */
export const forwardLossOf = (model: () => ZooModel, plugin: () => TrainingPlugin | null): ForwardLoss =>
  (x, y, training) => plugin()?.forwardLoss?.(x, y, training) ?? defaultForwardLoss(model(), x, y);

export interface StepResult {
  /** The backpropagated objective, batch mean. */
  objective: number;
  /** Cross-entropy of the prediction actually used (= objective unless the plugin says otherwise). */
  loss: number;
  correct: number;
  images: number;
  /** `train<Key>` of the plugin's parts (and trainLoss when a separate prediction loss exists). */
  parts: Record<string, number>;
  /** Values of the caller's `extra()` tensors, in order. */
  extra: TypedArray[];
}

export interface StepOptions {
  /** More device tensors to read back in the same readback (e.g. the page's neuron monitor). */
  extra?: () => Tensor[];
  /** Runs after the step is submitted and before the readback: host work that overlaps the device's. */
  whileDeviceWorks?: () => void;
}

/**
 * One optimizer step on a host batch. The plugin's `afterStep` receives its extras; the caller checks
 * the returned loss (finite) and owns the bookkeeping.
 */
export async function trainStep(model: ZooModel, optimizer: Optimizer<any>, forwardLoss: ForwardLoss, plugin: TrainingPlugin | null, host: HostBatch, opts: StepOptions = {}): Promise<StepResult> {
  const b = host.shape[0];
  model.train();
  let named: string[] = [];
  let nPlugin = 0;
  const outs = tidy(() => {
    const x = tensor(host.x, host.shape);
    const y = tensor(host.y, [b], { dtype: 'int32' });
    const o = forwardLoss(x, y, true);
    // Submit the forward, then the backward, as they are recorded: the device starts on each while
    // the host still records the next.
    backend().flush();
    o.loss.backward();
    backend().flush();
    optimizer.step();
    optimizer.zeroGrad();
    // [objective, correct, (prediction loss, parts…), plugin extras…, caller extras…]: one readback.
    const scalars: [string, Tensor][] = o.predictionLoss ? [['trainLoss', o.predictionLoss], ...Object.entries(o.parts ?? {}).map(([k, t]) => [`train${k}`, t] as [string, Tensor])] : [];
    named = scalars.map(([k]) => k);
    const pluginExtras = plugin?.stepExtras?.() ?? [];
    nPlugin = pluginExtras.length;
    return [detach(o.loss), o.correct, ...scalars.map(([, t]) => detach(t)), ...pluginExtras, ...(opts.extra?.() ?? [])];
  });
  backend().flush();
  opts.whileDeviceWorks?.();
  const vals = await readAll(outs, { pace: `train-step ${paceId(model)}` });
  profile.step();
  for (const t of outs) t.dispose();
  const first = 2 + named.length;
  plugin?.afterStep?.(vals.slice(first, first + nPlugin));
  const parts: Record<string, number> = {};
  named.forEach((k, j) => (parts[k] = vals[2 + j][0]));
  const objective = vals[0][0];
  return { objective, loss: named.length ? vals[2][0] : objective, correct: vals[1][0], images: b, parts, extra: vals.slice(first + nPlugin) };
}

/** Loss and accuracy over a dataset's test split in stored order (BN in eval mode, no autograd, one readback). */
export async function evaluateModel(model: ZooModel, data: Dataset, batchSize: number, fwd?: (x: Tensor, y: Tensor) => StepOutputs): Promise<{ loss: number; acc: number }> {
  model.eval();
  const f = fwd ?? ((x: Tensor, y: Tensor) => defaultForwardLoss(model, x, y));
  const batches = new EpochBatches(data.test, data, { batchSize });
  let acc: [Tensor, Tensor] | null = null;
  profile.section('eval'); // REJUV_PROFILE=1: counted per evaluation batch
  for (let i = 0; i < batches.length; i++) {
    if (i > 0) profile.step();
    const h = batches.prepare(i);
    const next = noGrad(() => tidy(() => {
      const o = f(tensor(h.x, h.shape), tensor(h.y, [h.shape[0]], { dtype: 'int32' }));
      // The loss of the prediction actually used (NR's two heads: CE(z_S + z_R), not CE_S + CE_R).
      const l = mul(o.predictionLoss ?? o.loss, h.shape[0]);
      return acc ? [add(acc[0], l), add(acc[1], o.correct)] : [l, o.correct];
    })) as [Tensor, Tensor];
    acc?.forEach((t) => t.dispose());
    acc = next;
  }
  profile.step();
  model.train();
  if (!acc) return { loss: NaN, acc: NaN };
  const [l, c] = await readAll(acc, { pace: `eval ${paceId(model)}` });
  acc.forEach((t) => t.dispose());
  return { loss: l[0] / data.test.count, acc: c[0] / data.test.count };
}
