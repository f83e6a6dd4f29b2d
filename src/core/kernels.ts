/**
 * The kernel contract: every kernel's name, its attributes, and what a backend implements. Both
 * backends (src/kernels/cpu, src/kernels/webgpu) register the same names with these attribute types and
 * import nothing from each other; ops (src/ops) call them through `runKernel` (src/tensor/dispatch.ts).
 * Inputs and outputs are `TensorData` (shape, dtype, storage); the comment of each attribute type says
 * which inputs the kernel takes and what it returns. Gradients live with the ops, never here.
 */
import type { ConcatAttrs } from './concat-plan.js';
import type { ConvBlock, ConvGeom } from './conv-geom.js';
import type { DType } from './dtype.js';
import type { BinaryOp, UnaryOp } from './elementwise.js';
import type { GatherAttrs, ScatterAddAttrs } from './gather-plan.js';
import type { MatmulAttrs } from './matmul-plan.js';
import type { ReduceOp } from './reduce-plan.js';
import { sizeOf } from './shape.js';
import { fail } from './errors.js';
import type { Backend, TensorData } from './backend.js';

/* ---------------------------------------------- creation, copies ---------------------------------------------- */

export interface FillAttrs { shape: readonly number[]; dtype: DType; value: number }
/** Counter-based draw (src/core/random.ts): uniform in [a, b) or normal with mean a and std b. */
export interface RandomAttrs { shape: readonly number[]; dist: 'uniform' | 'normal'; seed: number; offset: number; a: number; b: number }
/** One strided copy: out[outBase + Σ i·outStrides] = x[xBase + Σ i·xStrides] over `shape`. */
export interface StridedCopy { shape: readonly number[]; xStrides: readonly number[]; xBase: number; outStrides: readonly number[]; outBase: number }
/** Input [x]; a fresh output of `outShape` (filled with `init` first when given) receiving the copy. */
export type StridedCopyAttrs = StridedCopy & { outShape: readonly number[]; init?: number };

/* ----------------------------------------------- batch norm ----------------------------------------------- */

/** [n, c, hw] view of an [N, C, ...] tensor; m = n·hw values per channel. */
export function bnDims(shape: readonly number[]): { n: number; c: number; hw: number; m: number } {
  const n = shape[0], c = shape[1], hw = sizeOf(shape.slice(2));
  return { n, c, hw, m: n * hw };
}
/**
 * Inputs [x, runningMean?, runningVar?] (both or neither); outputs [mean, invstd]. The batch mean is the
 * pair [2, C]: row 0 a shift K (a sample of the channel), row 1 δ = mean − K, so x − mean = (x − K) − δ
 * stays exact when |mean| ≫ std (see shaders/bn_stats.wgsl).
 */
export interface BnStatsAttrs { momentum: number; eps: number }
/**
 * Inputs [x, mean, stat, weight?, bias?]. Training: mean [2, C] and stat = invstd; eval (`fromVar`): the
 * running mean and variance. `relu`: max(·, 0) on the way out (BN and ReLU fused).
 */
export interface BnApplyAttrs { eps: number; fromVar: boolean; affine: boolean; relu?: boolean }
/** Inputs [x, dy, mean, stat, y? (relu: the fused forward's output, dy is masked by y > 0)]; outputs [gsum = Σdy, gdot = Σdy·x̂]. */
export interface BnReduceAttrs { eps: number; fromVar: boolean; relu?: boolean }
/** Inputs [x, dy, mean, stat, weight? (affine), gsum?, gdot? (training), y? (relu)]; output dx. */
export interface BnBackwardAttrs { eps: number; fromVar: boolean; affine: boolean; training: boolean; relu?: boolean }

/* ------------------------------------------------ pooling ------------------------------------------------- */

export type PoolMode = 'max' | 'avg' | 'adaptive';
/**
 * Geometry of a pooling over [N, C, H, W] → [N, C, OH, OW] (kernel/stride/padding unused by adaptive).
 * Input [x]; outputs [y] (and [y, argmax] for max pooling, int32 flat indices h·W + w per plane).
 */
export interface Pool2dAttrs {
  mode: PoolMode;
  outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
  countIncludePad: boolean;
}
/** Inputs [dy, argmax? (max)]; output dx of `inShape`. */
export type Pool2dBackwardAttrs = Pool2dAttrs & { inShape: readonly number[] };

/* ----------------------------------------------- optimizers ----------------------------------------------- */

/** Inputs [grad, param, buf?]; param and buf are updated in place. `l1`: λ·sign(param) added to the gradient first. */
export interface SgdAttrs { lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; l1: number; first: boolean }
/** Inputs [grad, param, m, v]; param, m and v are updated in place. `step` counts from 1. */
export interface AdamAttrs { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number; l1: number }
/** The per-step scalars PyTorch computes in Python doubles. */
export function adamConstants(a: AdamAttrs): { stepSize: number; bc2Sqrt: number; decay: number } {
  return {
    stepSize: a.lr / (1 - a.beta1 ** a.step),
    bc2Sqrt: Math.sqrt(1 - a.beta2 ** a.step),
    decay: 1 - a.lr * a.weightDecay,
  };
}

/* --------------------------------------------- loss, dropout --------------------------------------------- */

/** crossEntropy: inputs [logits [N, K], labels int32 [N]]; output the per-sample losses. Backward: [logits, labels, dloss]. */
export interface CrossEntropyAttrs { labelSmoothing: number }
/** Input [x]; output x·scale where the counter-based draw at (seed, offset + i) ≥ threshold, else 0. */
export interface DropoutAttrs { seed: number; offset: number; threshold: number; scale: number }

/* ------------------------------------- Neural Rejuvenation (docs/method.md) ------------------------------------- */

/** Inputs: info (int32 words), then every layer's γ; output the packed per-layer statistics (see shaders/nr_gamma_stats.wgsl). */
export interface GammaStatsAttrs {
  /** Number of layers (segments). */
  layers: number;
  /** Dead threshold relative to the layer max (0.01) and whole-layer threshold (1e-3). */
  liveThres: number;
  allDeadThres: number;
}
/** One block of a masked init: a constant, or a normal draw scaled by `value` (std). */
export interface InitBlock { random: boolean; value: number }
/** Input [src = the survived block]; output the widened tensor (shaders/nr_masked_init.wgsl). */
export interface MaskedInitAttrs {
  /** Output shape viewed as [rows, cols, inner]. */
  shape: readonly [number, number, number];
  /** The survived block is [a, b, inner] (the `src` input). */
  a: number;
  b: number;
  sr: InitBlock;
  rs: InitBlock;
  rr: InitBlock;
  seed: number;
  offset: number;
  /** Shape of the returned tensor (same element count as `shape`). */
  outShape: readonly number[];
}
/** nrGather: inputs [x, rows int32, cols int32]; out[i, j, :] = x[rows[i], cols[j], :]. */
export interface NrGatherAttrs {
  /** x viewed as [m0, m1, inner]. */
  m1: number;
  inner: number;
  outShape: readonly number[];
}

/** conv2d's kernels: the full geometry, and the blocks of a block-diagonal conv (absent: dense). */
export interface ConvAttrs { geom: ConvGeom; blocks?: readonly ConvBlock[] }

/* ------------------------------------------------ the table ------------------------------------------------ */

type None = Record<string, never>;

/** Every kernel and its attributes. */
export interface KernelAttrs {
  fill: FillAttrs;
  random: RandomAttrs;
  copy: None;
  cast: { dtype: DType };
  stridedCopy: StridedCopyAttrs;
  concat: ConcatAttrs;
  /** Inputs [x, indices int32]: x gathered along `axis`. */
  gather: GatherAttrs;
  scatterAdd: ScatterAddAttrs;
  unary: { op: UnaryOp };
  binary: { op: BinaryOp; shape: readonly number[] };
  where: { shape: readonly number[] };
  reduce: { op: ReduceOp; axes: readonly number[] };
  matmul: MatmulAttrs;
  /** `blocks`: a block-diagonal conv (checked by the op; see `ConvBlock`); the weight is always the full one. */
  conv2d: ConvAttrs;
  conv2dDgrad: ConvAttrs;
  /** With blocks, the weights outside them get exact zeros. */
  conv2dWgrad: ConvAttrs;
  bnStats: BnStatsAttrs;
  bnApply: BnApplyAttrs;
  bnBackwardReduce: BnReduceAttrs;
  bnBackwardApply: BnBackwardAttrs;
  pool2d: Pool2dAttrs;
  pool2dBackward: Pool2dBackwardAttrs;
  crossEntropy: CrossEntropyAttrs;
  crossEntropyBackward: CrossEntropyAttrs;
  accuracy: None;
  dropout: DropoutAttrs;
  sgdUpdate: SgdAttrs;
  adamUpdate: AdamAttrs;
  nrGammaStats: GammaStatsAttrs;
  nrMaskedInit: MaskedInitAttrs;
  nrGather: NrGatherAttrs;
}
export type KernelName = keyof KernelAttrs;

/** A kernel: reads its inputs, returns its outputs (none for in-place kernels such as the optimizers). */
export type KernelFn<B extends Backend = Backend, A = unknown> = (b: B, inputs: readonly TensorData[], attrs: A) => TensorData | TensorData[];

/**
 * One backend's kernels. The dispatcher runs them through `run`, which remembers the kernel running now
 * (the WebGPU profiler charges its dispatches to it).
 */
export class KernelTable<B extends Backend = Backend> {
  private readonly fns = new Map<KernelName, KernelFn<B, any>>();
  /** The kernel running now, '(direct)' outside any. */
  current = '(direct)';

  constructor(readonly backend: Backend['name']) {}

  register<K extends KernelName>(name: K, fn: KernelFn<B, KernelAttrs[K]>): void {
    if (this.fns.has(name)) fail(name, `kernel registered twice for the ${this.backend} backend`);
    this.fns.set(name, fn);
  }

  run<K extends KernelName>(b: B, name: K, inputs: readonly TensorData[], attrs: KernelAttrs[K]): TensorData | TensorData[] {
    const fn = this.fns.get(name);
    if (!fn) fail(name, `no kernel '${name}' is registered for the ${this.backend} backend`);
    const outer = this.current;
    this.current = name;
    try {
      return fn(b, inputs, attrs);
    } finally {
      this.current = outer;
    }
  }
}
