/**
 * What a backend provides to the engine. A backend owns device memory (`Storage`), holds its kernels
 * (`kernels`, the contract of src/core/kernels.ts) and reads values back. Kernels never see `Tensor`s,
 * only `TensorData` (shape, dtype, storage): autograd and ownership live one level up, in `src/tensor`.
 */
import type { DType, TypedArray } from './dtype.js';
import type { KernelTable } from './kernels.js';
import type { Profiler, ProfileMode } from './profiler.js';

/** A reference-counted block of backend memory; tensors that share it (reshape, detach) each hold one ref. */
export interface Storage {
  readonly bytes: number;
  refs: number;
}

export interface TensorData {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly storage: Storage;
}

export interface DeviceInfo {
  backend: 'webgpu' | 'cpu';
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation of WebGPU (lavapipe, SwiftShader): kernels avoid workgroup barriers there. */
  isSoftware: boolean;
  limits: Record<string, number>;
}

export interface ReadOptions {
  pace?: string;
}

export interface BackendMemory {
  /** Bytes held by the backend's pool, free for reuse. */
  pooledBytes: number;
  /** Bytes the backend has allocated from the device in total (live + pooled). */
  allocatedBytes: number;
}

export interface Backend {
  readonly name: 'webgpu' | 'cpu';
  /** Every kernel of the contract, implemented for this backend. */
  readonly kernels: KernelTable<any>;
  /** Fresh storage for `n` elements; contents are unspecified (kernels write every element). */
  alloc(n: number, dtype: DType): Storage;
  /** Storage holding a copy of `data`. */
  upload(data: TypedArray | ArrayLike<number>, dtype: DType): Storage;
  /** Return storage to the pool (called when its last ref goes). */
  release(s: Storage): void;
  /**
   * Read several storages back in one round trip. `pace`: the key of a readback that recurs (a
   * training step, an evaluation), for backends that can wait for the device more cheaply when they
   * know roughly how long it takes (src/kernels/webgpu/pacer.ts).
   */
  read(items: { storage: Storage; dtype: DType; size: number }[], opts?: ReadOptions): Promise<TypedArray[]>;
  /** Submit what has been recorded so far. */
  flush(): void;
  memory(): BackendMemory;
  info(): DeviceInfo;
  destroy(): void;
  /** Per-dispatch timing (backends that can time their dispatches: WebGPU). */
  startProfile?(mode?: ProfileMode): Profiler;
  stopProfile?(): Promise<Profiler | null>;
  readonly profiler?: Profiler | null;
}
