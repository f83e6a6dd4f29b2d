/** The WebGPU backend with every kernel of the contract registered (importing this module registers them). */
import './basic.js';
import './batchnorm.js';
import './concat.js';
import './conv.js';
import './dropout.js';
import './gather.js';
import './loss.js';
import './matmul.js';
import './nr.js';
import './optim.js';
import './pool2d.js';
import './reduce.js';

export { WebGPUBackend } from './backend.js';
export { webgpuKernels } from './table.js';
