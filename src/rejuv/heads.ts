/**
 * Training the mixed network (docs/method.md §8.2): the classifier is applied twice, to the features with
 * the rejuvenated channels zeroed (z_S) and with the survived channels zeroed (z_R); both share the
 * bias. Loss CE(z_S) + CE(z_R); prediction argmax(z_S + z_R).
 */
import type { ZooModel } from '../nn/graph.js';
import { detach, tensor } from '../ops/creation.js';
import { add, mul } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { correctCount } from '../train/step.js';

/** Batch-mean cross-entropy (the fused op of src/ops/loss.ts). */
export const crossEntropyLoss = (logits: Tensor, labels: Tensor): Tensor => crossEntropy(logits, labels);


export interface TwoHeadOutputs {
  zS: Tensor;
  zR: Tensor;
}

/** z_S and z_R; `classifierS` marks survived classifier inputs (1) in physical channel order. */
export function twoHeads(model: ZooModel, x: Tensor, classifierS: readonly number[]): TwoHeadOutputs {
  const f = model.features(x);
  if (f.rank !== 2 || f.shape[1] !== classifierS.length) fail('nr.twoHeads', `features ${fmtShape(f.shape)} do not match the ${classifierS.length}-channel split`);
  const mS = tensor(Float32Array.from(classifierS), [1, classifierS.length]);
  const mR = tensor(Float32Array.from(classifierS, (v) => 1 - v), [1, classifierS.length]);
  return { zS: model.classifier.forward(mul(f, mS)), zR: model.classifier.forward(mul(f, mR)) };
}

/**
 * The optimized objective CE_S + CE_R (`loss`), the count of argmax(z_S + z_R) = y, and what is
 * reported: the cross-entropy of that prediction, CE(z_S + z_R) (`predictionLoss`, comparable with a
 * plain network's loss), and the two heads' terms (`parts`: LossS, LossR). Only `loss` is differentiated.
 */
export function twoHeadLoss(model: ZooModel, x: Tensor, y: Tensor, classifierS: readonly number[]): { loss: Tensor; correct: Tensor; predictionLoss: Tensor; parts: { LossS: Tensor; LossR: Tensor } } {
  const { zS, zR } = twoHeads(model, x, classifierS);
  const ceS = crossEntropyLoss(zS, y), ceR = crossEntropyLoss(zR, y);
  const z = add(detach(zS), detach(zR));
  return { loss: add(ceS, ceR), correct: correctCount(z, y), predictionLoss: crossEntropyLoss(z, y), parts: { LossS: detach(ceS), LossR: detach(ceR) } };
}
