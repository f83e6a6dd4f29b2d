/**
 * Neural Rejuvenation for the page: the library's `NeuralRejuvenation` over the session's model,
 * through the same TrainingPlugin hooks the Node trainer uses (sparsity fused into the optimizer
 * update, alive counts read back with each step, surgery at an epoch end when utilization ≤ target).
 */
import { NeuralRejuvenation } from '../src/rejuv/index.js';
import type { PluginFactory } from './session.js';

export const nrPluginFactory: PluginFactory = (model, o) => {
  const nr = new NeuralRejuvenation(model, { target: o.target, lambda: o.lambda });
  const plugin = nr.plugin();
  // The page charts λ live, per step: the one in effect now (metrics() describes the epoch just ended).
  return { plugin: { ...plugin, metrics: () => ({ ...plugin.metrics!(), lambda: nr.lambda.value }) }, dispose: () => nr.dispose() };
};
