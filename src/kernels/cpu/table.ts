/** The reference backend's kernel table; each kernel file of this folder registers into it. */
import { KernelTable } from '../../core/kernels.js';
import type { CPUBackend } from './backend.js';

export const cpuKernels = new KernelTable<CPUBackend>('cpu');
