/**
 * conv2d (NCHW input, OIHW weight, optional bias; groups = 1), forward and backward side by side.
 * The backward pass is two dedicated kernels (input gradient, weight gradient) plus a sum for the bias.
 * With `blocks` the conv is block-diagonal: each block's output channels read only its input
 * channels, computed as that (smaller) conv; the weights outside the blocks never act and their
 * gradient is exactly zero (NR's Scheme A, docs/method.md §8.2).
 */
import { runKernel } from '../tensor/dispatch.js';
import { checkBlocks, convGeom, type Conv2dOptions, type ConvBlock, type ConvGeom } from '../core/conv-geom.js';
import { record } from '../tensor/tensor.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { sum } from './reduce.js';
import { checkDType, checkTensor, wrap } from './util.js';

export type { Conv2dOptions } from '../core/conv-geom.js';

/** Input gradient: the transposed convolution of `dy` with `w`, shaped like the input. */
export function conv2dInputGrad(dy: Tensor, w: Tensor, geom: ConvGeom, blocks?: readonly ConvBlock[]): Tensor {
  return wrap('conv2d.dgrad', runKernel('conv2dDgrad', [dy, w], { geom, blocks }));
}

/** Weight gradient: Σ over N·OH·OW of dy ⊗ input patches, shaped OIHW. */
export function conv2dWeightGrad(dy: Tensor, x: Tensor, geom: ConvGeom, blocks?: readonly ConvBlock[]): Tensor {
  return wrap('conv2d.wgrad', runKernel('conv2dWgrad', [dy, x], { geom, blocks }));
}

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  checkTensor('conv2d', x);
  checkTensor('conv2d', w, 'weight');
  checkDType('conv2d', x, 'float32');
  checkDType('conv2d', w, 'float32', 'weight');
  const geom = convGeom('conv2d', x.shape, w.shape, opts);
  if (b !== null) {
    checkTensor('conv2d', b, 'bias');
    checkDType('conv2d', b, 'float32', 'bias');
    if (b.rank !== 1 || b.shape[0] !== geom.co) fail('conv2d', `bias must have shape [${geom.co}], got ${fmtShape(b.shape)}`);
  }
  const blocks = opts.blocks;
  if (blocks) checkBlocks('conv2d', geom, blocks);
  const inputs = b ? [x, w, b] : [x, w];
  const y = wrap('conv2d', runKernel('conv2d', inputs, { geom, blocks }));
  return record('conv2d', inputs, y, (g) => [
    x.requiresGrad ? conv2dInputGrad(g, w, geom, blocks) : null,
    w.requiresGrad ? conv2dWeightGrad(g, x, geom, blocks) : null,
    b?.requiresGrad ? sum(g, [0, 2, 3]) : null,
  ]);
}
