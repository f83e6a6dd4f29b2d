/**
 * Neural Rejuvenation for the page: the library's `NeuralRejuvenation` over the session's model,
 * through the same TrainingPlugin hooks the Node trainer uses (sparsity fused into the optimizer
 * update, alive counts read back with each step, surgery at an epoch end when utilization ≤ target).
 */
import { NeuralRejuvenation } from '../src/rejuv/index.js';
import type { PluginFactory } from './session.js';

export const nrPluginFactory: PluginFactory = (model, o) => {
  const nr = new NeuralRejuvenation(model, { target: o.target, lambda: o.lambda });
  return { plugin: nr.plugin(), dispose: () => nr.dispose() };
};
