/**
 * The kernel registry: (backend, kernel name) → implementation. Ops in `src/ops` call `runKernel`;
 * gradients are defined there too, never here (as in tfjs: kernels are separate from gradients).
 * Both backends register the same names with the same attributes, so one test suite runs on each.
 */
import type { Backend, TensorData } from '../tensor/backend.js';
import { backend } from '../tensor/engine.js';
import { fail } from '../tensor/errors.js';

export type KernelFn<B extends Backend = Backend, A = any> = (b: B, inputs: readonly TensorData[], attrs: A) => TensorData | TensorData[];

const kernels = new Map<string, KernelFn<any, any>>();

export function registerKernel<B extends Backend, A>(backendName: Backend['name'], name: string, fn: KernelFn<B, A>): void {
  kernels.set(`${backendName}/${name}`, fn);
}

export function hasKernel(backendName: Backend['name'], name: string): boolean {
  return kernels.has(`${backendName}/${name}`);
}

let activeKernel = '(direct)';
/** The kernel the registry is running now (the profiler charges dispatches to it). */
export const currentKernel = (): string => activeKernel;

function call(name: string, inputs: readonly TensorData[], attrs: unknown): TensorData | TensorData[] {
  const [b, fn] = lookup(name);
  const outer = activeKernel;
  activeKernel = name;
  try {
    return fn(b, inputs, attrs);
  } finally {
    activeKernel = outer;
  }
}

function lookup(name: string): [Backend, KernelFn] {
  const b = backend(name);
  const fn = kernels.get(`${b.name}/${name}`);
  if (!fn) fail(name, `no kernel '${name}' is registered for the ${b.name} backend`);
  return [b, fn];
}

/** Run a kernel with one output. */
export function runKernel<A>(name: string, inputs: readonly TensorData[], attrs: A): TensorData {
  const out = call(name, inputs, attrs);
  if (Array.isArray(out)) fail(name, `kernel returned ${out.length} outputs where one was expected`);
  return out as TensorData;
}

/** Run a kernel with several outputs (or none: in-place kernels return []). */
export function runKernelMulti<A>(name: string, inputs: readonly TensorData[], attrs: A): TensorData[] {
  const out = call(name, inputs, attrs);
  return Array.isArray(out) ? out : [out];
}
