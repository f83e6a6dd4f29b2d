/**
 * The trainer's extension point. Neural Rejuvenation (src/rejuv) plugs into the ordinary training loop
 * through this interface instead of forking it. Every hook is optional; the plain trainer uses none.
 * (Initial contract: the trainer's and NR's authors refine it together, additively.)
 *
 * How src/train/trainer.ts calls the hooks:
 * - Setup: the plugin is made (src/cli/extensions.ts `makePlugin`) after the model exists; on
 *   `--resume` the model is rebuilt from the checkpoint's `describe()` widths, its weights loaded, then
 *   the plugin made and `loadState(state)` called with what `state()` returned at save time.
 * - Each step, inside one `tidy`: `forwardLoss(x, y, true)` (or the default), `loss.backward()`, the
 *   fused SGD update with `paramUpdateExtras(name)` per parameter, then `stepExtras()`; the returned
 *   tensors are read back with loss and correct count in the step's single readback and handed to
 *   `afterStep(values)` (values[i] belongs to stepExtras()[i]).
 * - Train and test loss are the cross-entropy of the prediction (`predictionLoss` when given, else
 *   `loss`); `loss` is then recorded as `trainObjective` and each of `parts` as `train<Key>`.
 * - Each epoch end: evaluation (`forwardLoss(x, y, false)` under noGrad, BN in eval mode), then
 *   `endOfEpoch(ctx)` — its decision may add epochs (the LR schedule restarts: epoch e uses the
 *   nominal LR of e − added) or replace the model (a fresh optimizer is built) — then `metrics()` is
 *   merged into the epoch's metrics.jsonl row, then the checkpoint (with `state()`) is written.
 * - The option values of the plugin's CLI flags arrive in `TrainConfig.plugin`, keyed by option name.
 */
import type { ZooModel } from '../nn/graph.js';
import type { Tensor } from '../tensor/tensor.js';

/** Device scalars of one step; read back together with `extras` in the step's single readback. */
export interface StepOutputs {
  /** Scalar loss (the value that is backpropagated: the optimized objective). */
  loss: Tensor;
  /** Scalar count of correct predictions in the batch (float32). */
  correct: Tensor;
  /**
   * Batch-mean cross-entropy of the prediction actually used, when it is not `loss` (NR's two heads:
   * CE(z_S + z_R), while `loss` is CE_S + CE_R). The headline train/test loss; `loss` is then recorded
   * as `trainObjective`.
   */
  predictionLoss?: Tensor;
  /** Further batch-mean scalars, recorded per epoch as `train<Key>` (e.g. { LossS, LossR }). */
  parts?: Record<string, Tensor>;
}

export interface EpochContext {
  epoch: number; // epochs completed so far (1-based after the first)
  trainLoss: number;
  testAcc: number;
}

export interface EpochDecision {
  /** The model was replaced (surgery): the trainer must rebuild its optimizer from scratch. */
  modelReplaced?: boolean;
  /** Epochs to add to the run and to every LR milestone (NR's monitoring epochs, docs/method.md §10). */
  extendEpochs?: number;
  /** The replacement model itself (NR surgery builds a new, wider model); the old one is already disposed. */
  model?: ZooModel;
  /** What added the epochs, for the console ("monitoring added 1 epoch: 16 in all"). */
  extendReason?: string;
  /** A line for the console after this epoch's line (e.g. the surgery). */
  message?: string;
}

export interface TrainingPlugin {
  readonly name: string;
  /** Loss and correct-count for a batch (default: cross-entropy on model(x), argmax). Called inside tidy. */
  forwardLoss?(x: Tensor, y: Tensor, training: boolean): StepOutputs;
  /** The logits whose argmax is the prediction (default: model(x)); `rejuv eval --dump-logits` writes them. */
  logits?(x: Tensor): Tensor;
  /** Extra device tensors to read back with the step's loss (one readback per step). */
  stepExtras?(): Tensor[];
  /** After the optimizer step, with the values of `stepExtras()` read back. */
  afterStep?(extras: ArrayLike<number>[]): void;
  /** Per-parameter additions to the fused optimizer update (e.g. L1 on batch-norm scales). */
  paramUpdateExtras?(paramName: string): { l1?: number } | undefined;
  /** End of an epoch, after evaluation. */
  endOfEpoch?(ctx: EpochContext): Promise<EpochDecision | void> | EpochDecision | void;
  /** Keys merged into this epoch's metrics.jsonl line. */
  metrics?(): Record<string, unknown>;
  /** A short note appended to this epoch's console line (e.g. "u 0.412 λ 1.5e-4"). */
  epochNote?(): string | null;
  /** Names of the layers whose per-layer metrics the plugin reports (e.g. NR's alivePerLayer), for charts. */
  layerNames?(): string[];
  /** One line on the run's outcome for the console summary and the report (e.g. the surgery, or why there was none). */
  summary?(): string | null;
  /** Saved in and restored from checkpoints (JSON-serializable). */
  state?(): unknown;
  loadState?(state: unknown): void;
}
