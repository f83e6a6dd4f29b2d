/**
 * Peer libraries for comparison figures, set up in the same process as rejuv:
 * - @tensorflow/tfjs-backend-webgpu on the SAME dawn.node adapter: `setupNodeGpu()` publishes one GPU
 *   instance as `navigator.gpu` before rejuv or tfjs ask for an adapter, so both get the same one.
 * - @tensorflow/tfjs-backend-wasm (SIMD; one thread in Node) with its .wasm files from node_modules.
 * Timing a tfjs op: wait for its result with `dataSync()` / `await data()`, as for our `sync()`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs-core');

let gpu: GPU | null = null;

/** Publish dawn.node's GPU as `navigator.gpu` (idempotent). Call before `rj.init()`. */
export async function setupNodeGpu(): Promise<GPU> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return (gpu = g.navigator.gpu);
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  const name = 'webgpu';
  const mod = (await import(/* @vite-ignore */ name)) as { globals: object; create: (flags: string[]) => GPU };
  Object.assign(globalThis, mod.globals);
  gpu = mod.create([]);
  // Node 21+ has a read-only navigator; define rather than assign.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

let tfPromise: Promise<Tf> | null = null;

/** tfjs-core with the webgpu and wasm backends registered (not yet selected). */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    await setupNodeGpu();
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')); // .../dist, next to the .wasm files
    wasm.setWasmPaths(join(dist, '/'));
    return tf;
  })();
  return tfPromise;
}

/** Select a tfjs backend ('webgpu' or 'wasm'); throws with the backend's name if it cannot start. */
export async function useTf(name: 'webgpu' | 'wasm'): Promise<Tf> {
  const tf = await loadTf();
  if (!(await tf.setBackend(name))) throw new Error(`bench/peers: tfjs backend '${name}' failed to initialize`);
  await tf.ready();
  return tf;
}
