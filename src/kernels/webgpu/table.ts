/** The WebGPU backend's kernel table; each kernel file of this folder registers into it. */
import { KernelTable } from '../../core/kernels.js';
import type { WebGPUBackend } from './backend.js';

export const webgpuKernels = new KernelTable<WebGPUBackend>('webgpu');
