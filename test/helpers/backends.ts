/**
 * One suite, every backend (as jax-js/burn do): `describeEachBackend(name, fn)` runs `fn` once on the
 * reference backend and once on WebGPU. `withBackend` switches the global backend for a comparison.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import * as rj from '../../src/index.js';
import { engine } from '../../src/tensor/engine.js';
import type { Backend } from '../../src/core/backend.js';
import { CPUBackend } from '../../src/kernels/cpu/index.js';
import { WebGPUBackend } from '../../src/kernels/webgpu/index.js';

export type BackendName = 'cpu' | 'webgpu';
export const BACKENDS: BackendName[] = ['cpu', 'webgpu'];

let gpu: WebGPUBackend | null = null;
let gpuPromise: Promise<WebGPUBackend> | null = null;
const cpu = new CPUBackend();
const cpu64 = new CPUBackend({ float64: true });

export async function getGpu(): Promise<WebGPUBackend> {
  if (!gpuPromise) gpuPromise = WebGPUBackend.create().then((b) => (gpu = b));
  return gpuPromise;
}

export async function backendFor(name: BackendName | 'cpu64'): Promise<Backend> {
  return name === 'cpu' ? cpu : name === 'cpu64' ? cpu64 : getGpu();
}

export function use(b: Backend): void {
  engine.backend = b;
}

/** Run `fn` with the given backend active, restoring the previous one. */
export async function withBackend<T>(name: BackendName | 'cpu64', fn: () => T | Promise<T>): Promise<T> {
  const prev = engine.backend;
  engine.backend = await backendFor(name);
  try {
    return await fn();
  } finally {
    engine.backend = prev;
  }
}

export function describeEachBackend(title: string, fn: (name: BackendName) => void): void {
  for (const name of BACKENDS) {
    describe(`${title} [${name}]`, () => {
      let prev: Backend | null = null;
      beforeAll(async () => {
        prev = engine.backend;
        engine.backend = await backendFor(name);
      });
      afterAll(() => {
        engine.backend = prev;
      });
      fn(name);
    });
  }
}

export function destroyGpu(): void {
  gpu?.destroy();
  gpu = null;
  gpuPromise = null;
}

export { rj };
