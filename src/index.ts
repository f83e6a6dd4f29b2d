/**
 * rejuv: a WebGPU tensor engine with hand-written WGSL kernels, and Neural Rejuvenation on top.
 *
 *   import * as rj from 'rejuv';
 *   await rj.init();
 */
export { init, close, deviceInfo, type InitOptions } from './init.js';
export { tidy, noGrad, keep, memory, type MemoryInfo } from './tensor/engine.js';
export { Tensor, readAll, isTensor } from './tensor/tensor.js';
export { backward } from './tensor/tensor.js';
export { RejuvError } from './core/errors.js';
export type { DType } from './core/dtype.js';
export type { DeviceInfo } from './core/backend.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
export { createModel } from './nn/models/index.js';
export * as optim from './nn/optim.js';
export { NeuralRejuvenation, type NROptions } from './rejuv/nr.js';
export * as rejuv from './rejuv/index.js';
export { resetPeakBytes } from './tensor/engine.js';
export * as profile from './tensor/profile.js';
