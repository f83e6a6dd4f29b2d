/**
 * Inverted dropout (torch.nn.functional.dropout): in training, each element is zeroed with probability
 * p and the survivors are scaled by 1/(1 − p); in eval it is the identity. Masks are Philox draws, so
 * both backends zero exactly the same elements for the same seed; the backward pass redraws the mask
 * from the seed instead of storing it.
 */
import { runKernel } from '../tensor/dispatch.js';
import { record } from '../tensor/tensor.js';
import { fail } from '../core/errors.js';
import { splitSeed } from '../core/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { copy, generatorState, setGeneratorState } from './creation.js';
import { checkDType, checkTensor, wrap } from './util.js';

export interface DropoutOptions {
  training: boolean;
  /** Explicit seed (counter offset 0); without it the global generator (rj.manualSeed) is used and advanced. */
  seed?: number;
}

export function dropout(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  const op = 'dropout';
  checkTensor(op, x);
  checkDType(op, x, 'float32');
  if (!(p >= 0 && p <= 1)) fail(op, `p must lie in [0, 1], got ${p}`);
  if (!opts.training || p === 0) return copy(x);
  // p = 1 keeps nothing (2²⁴ is above every 24-bit draw); its scale is never applied.
  const threshold = Math.round(p * 2 ** 24);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  let seed: number, offset: number;
  if (opts.seed !== undefined) {
    splitSeed(op, opts.seed);
    seed = opts.seed;
    offset = 0;
  } else {
    const g = generatorState();
    seed = g.seed;
    offset = g.offset;
    setGeneratorState({ seed, offset: offset + Math.ceil(x.size / 4) });
  }
  const attrs = { seed, offset, threshold, scale };
  const y = wrap(op, runKernel('dropout', [x], attrs));
  return record(op, [x], y, (dy) => [wrap(op, runKernel('dropout', [dy], attrs))]);
}
