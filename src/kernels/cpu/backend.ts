/**
 * The reference backend: plain TypeScript over typed arrays. It is the oracle the WebGPU kernels are
 * tested against, so its kernels favour obviousness over speed. With `float64: true` float32 tensors
 * are stored in Float64Array, which the finite-difference gradient checks use.
 */
import type { Backend, BackendMemory, DeviceInfo, Storage } from '../../core/backend.js';
import { arrayFor, type DType, type TypedArray } from '../../core/dtype.js';
import type { KernelTable } from '../../core/kernels.js';
import { cpuKernels } from './table.js';

export interface CPUStorage extends Storage {
  readonly data: TypedArray;
}

export class CPUBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly kernels: KernelTable<CPUBackend> = cpuKernels;
  readonly float64: boolean;
  private allocated = 0;

  constructor(opts: { float64?: boolean } = {}) {
    this.float64 = opts.float64 ?? false;
  }

  alloc(n: number, dtype: DType): CPUStorage {
    this.allocated += n * 4;
    return { data: arrayFor(dtype, n, this.float64), bytes: n * 4, refs: 0 };
  }

  upload(data: TypedArray | ArrayLike<number>, dtype: DType): CPUStorage {
    const s = this.alloc(data.length, dtype);
    (s.data as { set(a: ArrayLike<number>): void }).set(data as ArrayLike<number>);
    return s;
  }

  release(s: Storage): void {
    this.allocated -= s.bytes;
  }

  async read(items: { storage: Storage; dtype: DType; size: number }[]): Promise<TypedArray[]> {
    return items.map((it) => {
      const d = (it.storage as CPUStorage).data;
      return it.dtype === 'int32' ? Int32Array.from(d) : this.float64 ? Float64Array.from(d) : Float32Array.from(d);
    });
  }

  flush(): void {}

  memory(): BackendMemory {
    return { pooledBytes: 0, allocatedBytes: this.allocated };
  }

  info(): DeviceInfo {
    return { backend: 'cpu', vendor: 'rejuv', architecture: 'reference', description: `plain TypeScript (${this.float64 ? 'float64' : 'float32'})`, isSoftware: true, limits: {} };
  }

  destroy(): void {}
}

/** Typed access to a tensor's data on the reference backend. */
export const dataOf = (s: Storage): TypedArray => (s as CPUStorage).data;
