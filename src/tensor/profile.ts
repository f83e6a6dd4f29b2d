/**
 * Profiling from the library (`rj.profile`): start, label sections, mark steps, stop and format. The
 * WebGPU backend does the timing, src/core/profiler.ts the counting; `REJUV_PROFILE=1` starts it when
 * the device is created and prints the tables when the device closes. Marks are no-ops when nothing is
 * being profiled, so training code can call them unconditionally.
 */
import type { Backend } from '../core/backend.js';
import type { Profiler, ProfileMode } from '../core/profiler.js';
import { backend, engine } from './engine.js';
import { fail } from '../core/errors.js';

export type { Profiler, ProfileMode, ProfileTable } from '../core/profiler.js';

type Timed = Backend & Required<Pick<Backend, 'startProfile' | 'stopProfile'>>;
/** The active backend when it can time its dispatches (WebGPU), else null. */
const gpu = (): Timed | null => (engine.backend?.startProfile && engine.backend.stopProfile ? (engine.backend as Timed) : null);

/** Start profiling every dispatch (timestamp queries where the adapter has them, else fenced submits). */
export function start(mode?: ProfileMode): Profiler {
  const b = gpu();
  if (!b) fail('profile', `profiling times WebGPU dispatches; the active backend is '${backend('profile').name}'`);
  return b.startProfile(mode);
}

/** The running profiler, or null. */
export const active = (): Profiler | null => gpu()?.profiler ?? null;

/** Count what follows into `name` ('train', 'eval', ...). */
export function section(name: string): void {
  active()?.enter(name);
}

/** One step of the current section has been recorded. */
export function step(): void {
  active()?.markStep();
}

/** Stop; every submitted dispatch's time is in the returned profiler. */
export async function stop(): Promise<Profiler | null> {
  return (await gpu()?.stopProfile()) ?? null;
}
