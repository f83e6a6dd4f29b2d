/**
 * `Conv2d` (NCHW, OIHW weight, groups = 1), as torch.nn.Conv2d: parameters `weight` and optional
 * `bias`, PyTorch's default initialization. Two additions:
 * - `blocks`: an optional block-diagonal structure (core/conv-geom.ts ConvBlock): only the blocks'
 *   weights act, each block runs as its own smaller conv, the others get exact zero gradients (NR's
 *   Scheme A computes its S→S and R→R blocks this way);
 * - `weightMask`: an optional tensor of the weight's shape multiplied into the weight in forward, so
 *   masked weights neither act nor receive gradient (any structured sparsity; Scheme A uses it where
 *   the survivors are not one contiguous channel range, after a DenseNet concatenation);
 * - `lastOutputSize`: the [H, W] of the most recent output (for FLOPs counting); zoo models set it to
 *   the nominal size at construction.
 */
import { checkBlocks, type ConvBlock, type Pair } from '../core/conv-geom.js';
import { keep } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { conv2d, mul } from './functional.js';
import { defaultWeightAndBias, uniform } from './init.js';
import { Module } from './module.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Learnable per-output-channel bias (default true, as PyTorch). */
  bias?: boolean;
  /** Weight initializer instead of PyTorch's default (models pass He normal; saves a second draw). */
  weightInit?: (shape: readonly number[]) => Tensor;
}

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  lastOutputSize: [number, number] | null = null;
  private _mask: Tensor | null = null;
  private _blocks: readonly ConvBlock[] | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    for (const [n, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v < 1) fail('Conv2d', `${n} must be a positive integer, got ${v}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pairOf(kernelSize);
    this.stride = pairOf(opts.stride ?? 1);
    this.padding = pairOf(opts.padding ?? 0);
    this.dilation = pairOf(opts.dilation ?? 1);
    const shape = [outChannels, inChannels, ...this.kernelSize];
    if (opts.weightInit) {
      this.registerParameter('weight', opts.weightInit(shape));
      const bound = 1 / Math.sqrt(inChannels * this.kernelSize[0] * this.kernelSize[1]);
      this.registerParameter('bias', opts.bias ?? true ? uniform([outChannels], -bound, bound) : null);
    } else {
      const init = defaultWeightAndBias(shape, opts.bias ?? true);
      this.registerParameter('weight', init.weight);
      this.registerParameter('bias', init.bias);
    }
  }

  get weight(): Tensor {
    return this.param('weight');
  }
  get bias(): Tensor | null {
    return this.paramOrNull('bias');
  }

  get weightMask(): Tensor | null {
    return this._mask;
  }
  /** Install (or clear with null) the weight mask; the conv owns it from now on. */
  set weightMask(m: Tensor | null) {
    if (m !== null && !shapesEqual(m.shape, this.weight.shape)) {
      fail('Conv2d.weightMask', `mask must have the weight's shape ${fmtShape(this.weight.shape)}, got ${fmtShape(m.shape)}`);
    }
    if (m !== null) keep(m);
    if (this._mask && this._mask !== m) this._mask.dispose();
    this._mask = m;
  }

  get blocks(): readonly ConvBlock[] | null {
    return this._blocks;
  }
  /** Make the conv block-diagonal (null: dense again); the blocks must tile both channel ranges. */
  set blocks(bs: readonly ConvBlock[] | null) {
    if (bs !== null) {
      const [co, ci] = this.weight.shape;
      checkBlocks('Conv2d.blocks', { ci, co }, bs);
    }
    this._blocks = bs === null ? null : bs.map((b) => ({ ...b }));
  }

  forward(x: Tensor): Tensor {
    const w = this._mask ? mul(this.weight, this._mask) : this.weight;
    const y = conv2d(x, w, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, blocks: this._blocks ?? undefined });
    this.lastOutputSize = [y.shape[2], y.shape[3]];
    return y;
  }

  protected override disposeOwn(): void {
    this._mask?.dispose();
    this._mask = null;
    super.disposeOwn();
  }

  override toString(): string {
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel=${this.kernelSize}, stride=${this.stride}, padding=${this.padding})`;
  }
}
