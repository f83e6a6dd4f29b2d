/**
 * The WebGPU backend: pooled storage buffers, a pipeline cache keyed without sizes, dispatches recorded
 * into one command encoder and submitted in batches, and readback as the only operation that waits.
 *
 * Ordering rule: `queue.writeBuffer` runs at the position of the queue it is called at, so uploads
 * first submit whatever is recorded (a pooled buffer may be reused by an unsubmitted dispatch), and
 * the per-batch uniform arena is written right before its command buffer is submitted.
 */
import type { Backend, BackendMemory, DeviceInfo, ReadOptions, Storage } from '../../core/backend.js';
import { Pacer } from './pacer.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { fail, RejuvError } from '../../core/errors.js';
import { normalQuantileTable } from '../../core/random.js';
import { acquireDevice } from './device.js';
import { BufferPool } from './buffer-pool.js';
import { assemble, sourceLocation, type AssembledShader, type Program } from './program.js';
import { Profiler, profileRequested, type ProfileMode, type ProfileRow } from '../../core/profiler.js';
import type { KernelTable } from '../../core/kernels.js';
import { webgpuKernels } from './table.js';

export interface GPUStorage extends Storage {
  readonly buffer: GPUBuffer;
}

const ARENA_BYTES = 256 * 256; // 256 dispatches per batch at the 256-byte uniform offset alignment
/** Two timestamps per dispatch, for the most dispatches one batch can hold. */
const QUERY_SLOTS = 2 * (ARENA_BYTES / 256);

/** A batch's timestamp queries: the set, its resolve and mappable buffers, and each dispatch's row. */
interface QueryBatch {
  set: GPUQuerySet;
  resolve: GPUBuffer;
  read: GPUBuffer;
  used: number;
  rows: ProfileRow[];
}
const MAX_WG = 65535;

const debugEnabled = (): boolean => typeof process !== 'undefined' && process.env?.REJUV_DEBUG === '1';

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly kernels: KernelTable<WebGPUBackend> = webgpuKernels;
  readonly device: GPUDevice;
  private readonly adapterInfo: DeviceInfo;
  private readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; shader: AssembledShader }>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly arenaCpu = new ArrayBuffer(ARENA_BYTES);
  private readonly arenaView = new DataView(this.arenaCpu);
  private readonly arenaGpu: GPUBuffer;
  private arenaUsed = 0;
  private readonly uniformAlign: number;
  private normalTableStorage: GPUStorage | null = null;
  private pendingErrors: string[] = [];
  private lost: string | null = null;
  private readonly scratch = new Map<string, GPUTexture>();
  private scratchBytes = 0;
  /** Set while profiling (`startProfile`, or REJUV_PROFILE=1 from creation on). */
  profiler: Profiler | null = null;
  private readonly hasTimestamps: boolean;
  /** Timestamp mode: the open batch's query set, how many of its slots are used, and each dispatch's row. */
  private queries: QueryBatch | null = null;
  private readonly freeQueries: QueryBatch[] = [];
  private fencedLastDone = 0;
  /** Dispatches recorded since creation (for benchmarks and tests). */
  dispatches = 0;
  submits = 0;
  /** Sleeps before keyed readbacks (pacer.ts); active for CPU adapters under Node (`paces`). */
  readonly pacer = new Pacer();
  readonly paces: boolean;

  static async create(): Promise<WebGPUBackend> {
    const { device, adapter } = await acquireDevice();
    return new WebGPUBackend(device, adapter);
  }

  private constructor(device: GPUDevice, adapter: GPUAdapter) {
    this.device = device;
    const info = adapter.info ?? ({} as GPUAdapterInfo);
    const limits: Record<string, number> = {};
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension', 'minUniformBufferOffsetAlignment'] as const) {
      limits[k] = device.limits[k];
    }
    const desc = `${info.description ?? ''} ${info.device ?? ''}`.toLowerCase();
    // Chromium's SwiftShader reports itself only in `architecture` (description and device are empty).
    const isSoftware = info.architecture === 'software' || info.architecture === 'swiftshader' || /llvmpipe|lavapipe|swiftshader|software/.test(desc) || info.vendor === 'google' && /swiftshader/.test(desc);
    this.adapterInfo = {
      backend: 'webgpu',
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      isSoftware,
      limits,
    };
    // dawn.node's waits spin the main thread; that costs the device a core only on a CPU adapter.
    this.paces = isSoftware && typeof process !== 'undefined' && !!process.versions?.node;
    this.uniformAlign = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    this.hasTimestamps = device.features.has('timestamp-query');
    if (profileRequested()) this.startProfile();
    const S = GPUBufferUsage;
    this.pool = new BufferPool(device, S.STORAGE | S.COPY_SRC | S.COPY_DST, 'tensor');
    this.staging = new BufferPool(device, S.MAP_READ | S.COPY_DST, 'readback');
    this.arenaGpu = device.createBuffer({ size: ARENA_BYTES, usage: S.UNIFORM | S.COPY_DST, label: 'uniform-arena' });
    void device.lost.then((l) => {
      this.lost = `${l.reason}: ${l.message}`;
    });
    // No 'uncapturederror' listener: dawn.node crashes the process when it fires one from its worker
    // thread. Every recorded batch runs inside error scopes instead (see `enc` and `flush`).
  }

  info(): DeviceInfo {
    return this.adapterInfo;
  }

  alloc(n: number, dtype: DType): GPUStorage {
    void dtype;
    const bytes = Math.max(4, n * 4);
    if (bytes > this.device.limits.maxStorageBufferBindingSize) {
      fail('alloc', `a tensor of ${n} elements (${bytes} bytes) exceeds this adapter's maxStorageBufferBindingSize (${this.device.limits.maxStorageBufferBindingSize} bytes)`);
    }
    if (!this.profiler) return { buffer: this.pool.acquire(bytes), bytes: n * 4, refs: 0 };
    const t0 = performance.now();
    const buffer = this.pool.acquire(bytes);
    this.profiler.addPool(performance.now() - t0);
    return { buffer, bytes: n * 4, refs: 0 };
  }

  upload(data: TypedArray | ArrayLike<number>, dtype: DType): GPUStorage {
    const arr = dtype === 'int32' ? (data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>)) : data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    const s = this.alloc(arr.length, dtype);
    if (arr.length > 0) {
      this.flush(); // a pooled buffer may still be read by recorded-but-unsubmitted work
      this.device.queue.writeBuffer(s.buffer, 0, arr.buffer, arr.byteOffset, arr.byteLength);
    }
    return s;
  }

  release(s: Storage): void {
    this.pool.release((s as GPUStorage).buffer);
  }

  /** The inverse-CDF table used by normal sampling kernels (uploaded once). */
  normalTable(): GPUStorage {
    if (!this.normalTableStorage) {
      this.normalTableStorage = this.upload(normalQuantileTable(), 'int32');
      this.normalTableStorage.refs = 1; // owned by the backend for its lifetime
    }
    return this.normalTableStorage;
  }

  private pipelineFor(p: Program): { pipeline: GPUComputePipeline; shader: AssembledShader } {
    let entry = this.pipelines.get(p.key);
    if (!entry) {
      const shader = assemble(p.file, p.source, p.defines);
      const module = this.device.createShaderModule({ code: shader.code, label: p.file });
      if (debugEnabled()) this.reportCompile(module, shader, p.file);
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: p.key });
      entry = { pipeline, shader };
      this.pipelines.set(p.key, entry);
    }
    return entry;
  }

  private reportCompile(module: GPUShaderModule, shader: AssembledShader, file: string): void {
    void module.getCompilationInfo?.().then((info) => {
      for (const m of info.messages) {
        if (m.type === 'error') this.pendingErrors.push(`WGSL error in ${sourceLocation(shader, m.lineNum)} (${file}): ${m.message}`);
      }
    });
  }

  /**
   * Start profiling every dispatch from now on (see profiler.ts): timestamp queries when the device has
   * them, fenced submits otherwise (or when `mode` says so).
   */
  startProfile(mode?: ProfileMode): Profiler {
    if (mode === 'timestamp' && !this.hasTimestamps) fail('profile', "timestamp mode needs the adapter's 'timestamp-query' feature, which this device lacks");
    this.flush();
    this.profiler = new Profiler(mode ?? (this.hasTimestamps ? 'timestamp' : 'fenced'));
    return this.profiler;
  }

  /** Stop profiling; returns the profiler with every submitted dispatch's time counted. */
  async stopProfile(): Promise<Profiler | null> {
    const p = this.profiler;
    if (!p) return null;
    this.flush();
    await p.settle();
    this.profiler = null;
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Record one dispatch. */
  run(p: Program): void {
    if (this.lost) fail(p.file, `the GPU device was lost (${this.lost})`);
    const prof = this.profiler;
    const h0 = prof ? performance.now() : 0;
    const ubytes = p.uniforms.byteLength;
    if (this.arenaUsed + ubytes > ARENA_BYTES) this.flush();
    this.enc(); // open the batch (and its error scopes) before creating anything for it
    const { pipeline } = this.pipelineFor(p);
    const uoff = this.arenaUsed;
    p.uniforms.writeTo(this.arenaView, uoff);
    this.arenaUsed += Math.ceil(ubytes / this.uniformAlign) * this.uniformAlign;

    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    for (const s of p.inputs) entries.push({ binding: binding++, resource: { buffer: (s as GPUStorage).buffer, size: alignedSize(s) } });
    for (const t of p.textures ?? []) entries.push({ binding: binding++, resource: t.createView() });
    for (const s of p.outputs) entries.push({ binding: binding++, resource: { buffer: (s as GPUStorage).buffer, size: alignedSize(s) } });
    entries.push({ binding: binding++, resource: { buffer: this.arenaGpu, offset: uoff, size: ubytes } });

    const debug = debugEnabled();
    if (debug) this.device.pushErrorScope('validation');
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: p.key });
    let row: ProfileRow | null = null;
    if (prof) {
      prof.op = this.kernels.current;
      let bytes = 0;
      for (const s of p.inputs) bytes += s.bytes;
      for (const s of p.outputs) bytes += s.bytes;
      row = prof.row(p.key, p.flops ?? 0, bytes);
      if (prof.mode === 'timestamp') {
        this.endPass();
        const q = this.queryBatch();
        this.pass = this.enc().beginComputePass({ timestampWrites: { querySet: q.set, beginningOfPassWriteIndex: q.used, endOfPassWriteIndex: q.used + 1 } });
        q.used += 2;
        q.rows.push(row);
      }
    }
    if (!this.pass) this.pass = this.enc().beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    let [x, y = 1, z = 1] = p.workgroups;
    if (x > MAX_WG) {
      y *= Math.ceil(x / MAX_WG);
      x = MAX_WG;
    }
    if (y > MAX_WG || z > MAX_WG) fail(p.file, `dispatch of ${p.workgroups.join('×')} workgroups exceeds the adapter's limits`);
    if (x > 0) this.pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
    if (prof && row) {
      if (prof.mode === 'timestamp') this.endPass();
      row.hostMs += performance.now() - h0;
      if (prof.mode === 'fenced') this.fence(prof, row);
    }
    if (debug) {
      void this.device.popErrorScope().then((e) => {
        if (e) this.pendingErrors.push(`${p.file} (${p.key}): ${e.message}`);
      });
    }
  }

  /** Copy between buffers inside the recorded stream. */
  copy(src: Storage, dst: Storage, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes === 0) return;
    this.endPass();
    this.enc().copyBufferToBuffer((src as GPUStorage).buffer, srcOffset, (dst as GPUStorage).buffer, dstOffset, bytes);
  }

  /**
   * Copy `rows` rows of `bytesPerRow` bytes (a multiple of 256) from a buffer into an rgba32float
   * texture at row `y`, inside the recorded stream; each row fills `texels` texels (all of its bytes
   * by default, fewer where the rows are padded to the 256-byte multiple).
   */
  copyToTexture(src: Storage, srcOffset: number, bytesPerRow: number, rows: number, dst: GPUTexture, y: number, texels = bytesPerRow / 16): void {
    if (rows === 0) return;
    this.endPass();
    this.enc().copyBufferToTexture({ buffer: (src as GPUStorage).buffer, offset: srcOffset, bytesPerRow, rowsPerImage: rows }, { texture: dst, origin: [0, y] }, [texels, rows]);
  }

  /** The open command encoder; opening one also opens the batch's error scopes. */
  private enc(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const q = this.queries;
    if (q && q.used > 0) {
      this.encoder.resolveQuerySet(q.set, 0, q.used, q.resolve, 0);
      this.encoder.copyBufferToBuffer(q.resolve, 0, q.read, 0, q.used * 8);
    } else if (q) this.freeQueries.push(q);
    this.queries = null;
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arenaGpu, 0, this.arenaCpu, 0, this.arenaUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    for (let i = 0; i < 2; i++) {
      void this.device.popErrorScope().then((e) => {
        if (e) this.pendingErrors.push(e.message);
      });
    }
    this.arenaUsed = 0;
    this.submits++;
    if (q && q.used > 0 && this.profiler) this.collectTimestamps(this.profiler, q);
  }

  private queryBatch(): QueryBatch {
    if (!this.queries) {
      const bytes = QUERY_SLOTS * 8;
      const free = this.freeQueries.pop();
      this.queries = free ? { ...free, used: 0, rows: [] } : {
        set: this.device.createQuerySet({ type: 'timestamp', count: QUERY_SLOTS }),
        resolve: this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC, label: 'profile-resolve' }),
        read: this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'profile-read' }),
        used: 0, rows: [],
      };
    }
    return this.queries;
  }

  /** Read a submitted batch's timestamps back into its rows, when the profiler settles (not before: see `later`). */
  private collectTimestamps(prof: Profiler, q: QueryBatch): void {
    const n = q.used;
    prof.later.push(() => q.read.mapAsync(GPUMapMode.READ, 0, n * 8).then(() => {
      const t = new BigUint64Array(q.read.getMappedRange(0, n * 8).slice(0));
      q.read.unmap();
      this.freeQueries.push(q);
      for (let i = 0; i < q.rows.length; i++) {
        const begin = t[2 * i], end = t[2 * i + 1];
        q.rows[i].deviceMs += end > begin ? Number(end - begin) / 1e6 : 0;
        if (i + 1 < q.rows.length && t[2 * i + 2] > end) prof.gap(Number(t[2 * i + 2] - end) / 1e6);
      }
    }));
  }

  /** Fenced mode: submit this dispatch alone and time it from the completions around it. */
  private fence(prof: Profiler, row: ProfileRow): void {
    this.flush();
    const submitted = performance.now();
    prof.pending.push(this.device.queue.onSubmittedWorkDone().then(() => {
      const done = performance.now();
      row.deviceMs += done - Math.max(this.fencedLastDone, submitted);
      this.fencedLastDone = done;
    }));
  }

  async read(items: { storage: Storage; dtype: DType; size: number }[], opts?: ReadOptions): Promise<TypedArray[]> {
    const offsets: number[] = [];
    let total = 0;
    for (const it of items) {
      offsets.push(total);
      total += Math.ceil((it.size * 4) / 256) * 256;
    }
    const stage = this.staging.acquire(Math.max(total, 4));
    this.endPass();
    this.enc();
    items.forEach((it, i) => {
      if (it.size > 0) this.encoder!.copyBufferToBuffer((it.storage as GPUStorage).buffer, 0, stage, offsets[i], it.size * 4);
    });
    this.flush();
    // On CPU adapters under Node, a keyed readback first sleeps while the device works (pacer.ts).
    await this.pacer.wait(this.paces ? opts?.pace : undefined, () => stage.mapAsync(GPUMapMode.READ, 0, Math.max(total, 4)));
    const mapped = stage.getMappedRange(0, Math.max(total, 4));
    const out = items.map((it, i) => {
      const src = mapped.slice(offsets[i], offsets[i] + it.size * 4);
      return it.dtype === 'int32' ? new Int32Array(src) : new Float32Array(src);
    });
    stage.unmap();
    this.staging.release(stage);
    if (this.profiler) await this.profiler.settle();
    await this.checkErrors();
    return out;
  }

  /** Surface errors collected from error scopes / uncaptured errors (REJUV_DEBUG=1 names the kernel). */
  async checkErrors(): Promise<void> {
    if (this.lost) throw new RejuvError('webgpu', `the GPU device was lost (${this.lost})`);
    if (this.pendingErrors.length) {
      const errs = this.pendingErrors.splice(0);
      throw new RejuvError('webgpu', errs.join('\n'));
    }
  }

  /** Wait for all submitted work (used by benchmarks; `pace` as for `read`). */
  async sync(opts?: ReadOptions): Promise<void> {
    this.flush();
    await this.pacer.wait(this.paces ? opts?.pace : undefined, () => this.device.queue.onSubmittedWorkDone());
  }

  /**
   * A backend-owned rgba32float texture for kernels that stage operands in textures (matmul_tex):
   * one per `slot`, at least `width` × `height` texels, grown (never shrunk) and reused, so repeated
   * shapes allocate nothing. Dispatches run in recording order, so consecutive users of a slot within
   * one batch are safe. Its bytes count in `memory().allocatedBytes`.
   */
  scratchTexture(slot: string, width: number, height: number): GPUTexture {
    const old = this.scratch.get(slot);
    if (old && old.width >= width && old.height >= height) return old;
    const max = this.device.limits.maxTextureDimension2D;
    if (width > max || height > max) fail(slot, `needs a ${width}×${height} texture, past this adapter's maxTextureDimension2D (${max})`);
    const w = Math.max(width, old?.width ?? 0), h = Math.max(height, old?.height ?? 0);
    if (old) {
      this.flush(); // recorded work still binds the old texture
      old.destroy();
      this.scratchBytes -= old.width * old.height * 16;
    }
    const t = this.device.createTexture({ size: [w, h], format: 'rgba32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST, label: slot });
    this.scratch.set(slot, t);
    this.scratchBytes += w * h * 16;
    return t;
  }

  memory(): BackendMemory {
    return { pooledBytes: this.pool.pooledBytes, allocatedBytes: this.pool.allocatedBytes + this.scratchBytes };
  }

  destroy(): void {
    this.flush();
    // REJUV_PROFILE=1 on any command: the report goes to stderr when the device closes (every batch up
    // to the last readback is counted; what was submitted after it may still be in flight).
    if (this.profiler && profileRequested()) process.stderr.write(this.profiler.format() + '\n');
    this.pool.trim();
    this.staging.trim();
    for (const t of this.scratch.values()) t.destroy();
    this.scratch.clear();
    this.scratchBytes = 0;
    this.device.destroy();
  }
}

function alignedSize(s: Storage): number {
  return Math.max(4, Math.ceil(s.bytes / 4) * 4);
}
