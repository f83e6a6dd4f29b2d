/**
 * rejuv: a WebGPU tensor engine with hand-written WGSL kernels, and Neural Rejuvenation on top.
 *
 *   import * as rj from 'rejuv';
 *   await rj.init();
 */
import './kernels/index.js';

export { init, close, deviceInfo, type InitOptions } from './tensor/device.js';
export { tidy, noGrad, keep, memory, type MemoryInfo } from './tensor/engine.js';
export { Tensor, readAll, isTensor } from './tensor/tensor.js';
export { backward } from './tensor/autograd.js';
export { RejuvError } from './tensor/errors.js';
export type { DType } from './tensor/dtype.js';
export type { DeviceInfo } from './tensor/backend.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
export { createModel } from './nn/models/index.js';
export * as optim from './nn/optim.js';
export { NeuralRejuvenation, type NROptions } from './rejuv/nr.js';
export * as rejuv from './rejuv/index.js';
export { resetPeakBytes } from './tensor/engine.js';
export * as profile from './tensor/profile.js';
