/**
 * 2-D pooling over NCHW tensors, as torch.nn.functional: maxPool2d (−inf padding, gradient to the
 * first maximum of each window), avgPool2d (count_include_pad = true by default) and
 * adaptiveAvgPool2d (1 = global average pooling; any output size).
 */
import { runKernel, runKernelMulti } from '../tensor/dispatch.js';
import { record } from '../tensor/tensor.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDType, checkTensor, wrap } from './util.js';
import { type PoolMode, type Pool2dAttrs } from '../core/kernels.js';

export type PoolPair = number | readonly [number, number];

export interface Pool2dOptions {
  kernelSize: PoolPair;
  /** Default: kernelSize (as PyTorch). */
  stride?: PoolPair;
  padding?: PoolPair;
}
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padded zeros in the divisor (PyTorch's default, true). */
  countIncludePad?: boolean;
}

function pair(op: string, name: string, v: PoolPair | undefined, dflt: [number, number], min: number): [number, number] {
  const p: [number, number] = v === undefined ? dflt : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) fail(op, `${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

function checkInput(op: string, x: Tensor): void {
  checkTensor(op, x);
  checkDType(op, x, 'float32');
  if (x.rank !== 4) fail(op, `input must be NCHW (rank 4), got shape ${fmtShape(x.shape)}`);
}

function windowed(op: string, mode: PoolMode, x: Tensor, opts: AvgPool2dOptions): Pool2dAttrs {
  checkInput(op, x);
  const [kh, kw] = pair(op, 'kernelSize', opts.kernelSize, [0, 0], 1);
  const [sh, sw] = pair(op, 'stride', opts.stride, [kh, kw], 1);
  const [ph, pw] = pair(op, 'padding', opts.padding, [0, 0], 0);
  // PyTorch's rule; it also guarantees every window holds at least one input element.
  if (2 * ph > kh || 2 * pw > kw) fail(op, `padding must be at most half the kernel size, got padding [${ph}, ${pw}] for kernel [${kh}, ${kw}]`);
  const [, , h, w] = x.shape;
  const outH = Math.floor((h + 2 * ph - kh) / sh) + 1, outW = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (outH < 1 || outW < 1) fail(op, `kernel [${kh}, ${kw}] with padding [${ph}, ${pw}] does not fit input ${fmtShape(x.shape)} (output would be ${outH}×${outW})`);
  return { mode, outH, outW, kh, kw, sh, sw, ph, pw, countIncludePad: opts.countIncludePad ?? true };
}

function pool(op: string, x: Tensor, a: Pool2dAttrs): Tensor {
  const [y, idx] = runKernelMulti('pool2d', [x], a).map((d) => wrap(op, d));
  record(op, [x], y, (dy) => [wrap(op, runKernel('pool2dBackward', idx ? [dy, idx] : [dy], { ...a, inShape: x.shape }))]);
  if (!y.node) idx?.dispose(); // no backward to come: the argmax indices are not needed
  return y;
}

export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return pool('maxPool2d', x, windowed('maxPool2d', 'max', x, opts));
}

export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  return pool('avgPool2d', x, windowed('avgPool2d', 'avg', x, opts));
}

/** Output size `outputSize` (a number or [OH, OW]); PyTorch's windows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: PoolPair): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkInput(op, x);
  const [outH, outW] = pair(op, 'outputSize', outputSize, [1, 1], 1);
  if (x.shape[2] === 0 || x.shape[3] === 0) fail(op, `input ${fmtShape(x.shape)} has an empty spatial axis`);
  return pool(op, x, { mode: 'adaptive', outH, outW, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, countIncludePad: false });
}
