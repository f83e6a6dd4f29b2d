/** Choosing and releasing the backend of the engine (the public `rj.init` / `rj.close`). */
import type { DeviceInfo } from './core/backend.js';
import { fail } from './core/errors.js';
import { createBackend, type BackendOptions } from './kernels/index.js';
import { engine } from './tensor/engine.js';

export type InitOptions = BackendOptions;

export async function init(opts: InitOptions = {}): Promise<DeviceInfo> {
  const b = await createBackend(opts); // validates before the current backend is closed
  if (engine.backend) close();
  engine.backend = b;
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
