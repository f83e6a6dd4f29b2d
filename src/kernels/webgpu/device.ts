/**
 * Getting a GPUDevice: `navigator.gpu` in a browser, the `webgpu` package (dawn.node) in Node.
 */
import { RejuvError } from '../../core/errors.js';

const NO_ADAPTER = `no WebGPU adapter was found. In Node, run \`bash scripts/setup.sh\` (it installs Mesa's
lavapipe software Vulkan driver when there is no GPU), or install your GPU's Vulkan driver; in a browser,
use one with WebGPU enabled (Chromium: --enable-unsafe-webgpu for software adapters). The reference
backend works everywhere: \`await rj.init({ backend: 'cpu' })\`.`;

export interface Acquired {
  device: GPUDevice;
  adapter: GPUAdapter;
}

// dawn.node frees its instance when the GPU object is garbage-collected, and then crashes in its
// event loop: hold on to it for the life of the process.
let nodeGpuInstance: GPU | undefined;

async function nodeGpu(): Promise<GPU | undefined> {
  if (nodeGpuInstance) return nodeGpuInstance;
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  const name = 'webgpu'; // a variable, so bundlers leave this import alone in the browser build
  const mod = await import(/* @vite-ignore */ name);
  Object.assign(globalThis, mod.globals);
  nodeGpuInstance = mod.create([]) as GPU;
  return nodeGpuInstance;
}

export async function acquireDevice(): Promise<Acquired> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const gpu = nav?.gpu ?? (await nodeGpu());
  if (!gpu) throw new RejuvError('init', NO_ADAPTER);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new RejuvError('init', NO_ADAPTER);
  const want = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxTextureDimension2D'] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of want) requiredLimits[k] = adapter.limits[k];
  // Subgroup operations let CPU-adapter kernels share loaded values across SIMD lanes (matmul_sg.wgsl);
  // timestamp queries serve the profiler (src/kernels/webgpu/profiler.ts).
  const requiredFeatures = ['subgroups', 'timestamp-query'].filter((f) => adapter.features.has(f)) as unknown as GPUFeatureName[]; // not yet in @webgpu/types
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  return { device, adapter };
}
