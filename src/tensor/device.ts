/** Choosing and releasing the backend. */
import { CPUBackend } from '../kernels/cpu/backend.js';
import { WebGPUBackend } from '../kernels/webgpu/backend.js';
import type { DeviceInfo } from './backend.js';
import { engine } from './engine.js';
import { fail } from './errors.js';

export interface InitOptions {
  /** 'webgpu' (default) or 'cpu', the plain-TypeScript reference backend. */
  backend?: 'webgpu' | 'cpu';
  /** Reference backend only: store float32 tensors in float64 (finite-difference checks). */
  float64?: boolean;
}

export async function init(opts: InitOptions = {}): Promise<DeviceInfo> {
  const want = opts.backend ?? 'webgpu';
  if (want !== 'webgpu' && want !== 'cpu') fail('init', `backend must be 'webgpu' or 'cpu', got '${String(want)}'`);
  if (engine.backend) close();
  engine.backend = want === 'cpu' ? new CPUBackend({ float64: opts.float64 }) : await WebGPUBackend.create();
  return engine.backend.info();
}

/** Destroy the device (a Node process can then exit on its own). Live tensors become unusable. */
export function close(): void {
  if (!engine.backend) return;
  engine.backend.destroy();
  engine.backend = null;
  engine.scopes = [];
  engine.liveTensors = 0;
  engine.liveBytes = 0;
  engine.peakBytes = 0;
}

export function deviceInfo(): DeviceInfo {
  if (!engine.backend) fail('deviceInfo', 'no backend: call `await rj.init()` first');
  return engine.backend.info();
}
