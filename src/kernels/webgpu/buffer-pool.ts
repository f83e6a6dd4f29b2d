/**
 * Size-class buffer pool. Requests round up to one of 8 classes per power of two (≤ 12.5 % waste), so
 * a training loop with stable shapes reaches a steady state after its first step and allocates nothing.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  const top = 2 ** Math.ceil(Math.log2(b));
  const step = Math.max(256, top / 8);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  pooledBytes = 0;
  allocatedBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= size;
      return reused;
    }
    this.allocatedBytes += size;
    return this.device.createBuffer({ size, usage: this.usage, label: `${this.label}:${size}` });
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
    this.pooledBytes += size;
  }

  /** Destroy every pooled buffer (only call with no work in flight that uses them). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.allocatedBytes -= this.pooledBytes;
    this.pooledBytes = 0;
    this.free.clear();
  }
}
