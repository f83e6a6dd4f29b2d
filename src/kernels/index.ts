/**
 * Backend construction, the one place that knows both backends. Each backend folder implements the
 * contract of src/core (kernel names and attributes, `Backend`) and imports nothing from the other.
 */
import type { Backend } from '../core/backend.js';
import { fail } from '../core/errors.js';
import { CPUBackend } from './cpu/index.js';
import { WebGPUBackend } from './webgpu/index.js';

export { CPUBackend, WebGPUBackend };

export interface BackendOptions {
  /** 'webgpu' (default) or 'cpu', the plain-TypeScript reference backend. */
  backend?: 'webgpu' | 'cpu';
  /** Reference backend only: store float32 tensors in float64 (finite-difference checks). */
  float64?: boolean;
}

export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const want = opts.backend ?? 'webgpu';
  if (want !== 'webgpu' && want !== 'cpu') fail('init', `backend must be 'webgpu' or 'cpu', got '${String(want)}'`);
  return want === 'cpu' ? new CPUBackend({ float64: opts.float64 }) : await WebGPUBackend.create();
}
