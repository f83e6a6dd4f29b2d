/**
 * Running a kernel of the contract (src/core/kernels.ts) on the active backend. Ops in `src/ops` call
 * `runKernel`; gradients are defined there too, never here (as in tfjs: kernels are separate from
 * gradients). Both backends implement the same names with the same attributes, so one test suite runs
 * on each.
 */
import type { TensorData } from '../core/backend.js';
import { fail } from '../core/errors.js';
import type { KernelAttrs, KernelName } from '../core/kernels.js';
import { backend } from './engine.js';

function call<K extends KernelName>(name: K, inputs: readonly TensorData[], attrs: KernelAttrs[K]): TensorData | TensorData[] {
  const b = backend(name);
  return b.kernels.run(b, name, inputs, attrs);
}

/** Run a kernel with one output. */
export function runKernel<K extends KernelName>(name: K, inputs: readonly TensorData[], attrs: KernelAttrs[K]): TensorData {
  const out = call(name, inputs, attrs);
  if (Array.isArray(out)) fail(name, `kernel returned ${out.length} outputs where one was expected`);
  return out as TensorData;
}

/** Run a kernel with several outputs (or none: in-place kernels return []). */
export function runKernelMulti<K extends KernelName>(name: K, inputs: readonly TensorData[], attrs: KernelAttrs[K]): TensorData[] {
  const out = call(name, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}
