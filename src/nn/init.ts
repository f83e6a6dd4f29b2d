/**
 * Weight initializers with PyTorch's definitions (`torch.nn.init`). Each returns a fresh tensor drawn
 * from the seeded global generator (`rj.manualSeed`), so a run is reproducible; modules install it
 * with `registerParameter`, which disposes the previous value.
 */
import { full, rand, randn } from '../ops/creation.js';
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';

export type FanMode = 'fanIn' | 'fanOut';

/** PyTorch's `_calculate_fan_in_and_fan_out`: dims 0/1 are out/in, the rest the receptive field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) fail('init.fans', `needs a tensor of rank ≥ 2, got shape ${fmtShape(shape)}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function fanOf(where: string, shape: readonly number[], mode: FanMode): number {
  const f = fans(shape)[mode];
  if (f === 0) fail(where, `fan ${mode} is 0 for shape ${fmtShape(shape)}`);
  return f;
}

/** Gain of a ReLU / leaky ReLU with negative slope `a` (PyTorch's `calculate_gain('leaky_relu', a)`). */
export const reluGain = (a = 0): number => Math.sqrt(2 / (1 + a * a));

/** He normal: N(0, gain²/fan); defaults are the paper's fan-out with the ReLU gain (std = √(2/fan_out)). */
export function kaimingNormal(shape: readonly number[], opts: { mode?: FanMode; a?: number } = {}): Tensor {
  const std = reluGain(opts.a ?? 0) / Math.sqrt(fanOf('init.kaimingNormal', shape, opts.mode ?? 'fanOut'));
  return randn(shape, { std });
}

/** He uniform: U(±gain·√(3/fan)). */
export function kaimingUniform(shape: readonly number[], opts: { mode?: FanMode; a?: number } = {}): Tensor {
  const bound = reluGain(opts.a ?? 0) * Math.sqrt(3 / fanOf('init.kaimingUniform', shape, opts.mode ?? 'fanIn'));
  return rand(shape, { low: -bound, high: bound });
}

export const normal = (shape: readonly number[], mean = 0, std = 1): Tensor => randn(shape, { mean, std });
export const uniform = (shape: readonly number[], low = 0, high = 1): Tensor => rand(shape, { low, high });
export const constant = (shape: readonly number[], value: number): Tensor => full(shape, value);

/**
 * PyTorch's default for Conv2d and Linear (`reset_parameters`): weight kaiming_uniform with a = √5,
 * i.e. U(±1/√fan_in), and bias U(±1/√fan_in). Drawn weight first, then bias, as PyTorch does.
 */
export function defaultWeightAndBias(weightShape: readonly number[], bias: boolean): { weight: Tensor; bias: Tensor | null } {
  const weight = kaimingUniform(weightShape, { a: Math.sqrt(5), mode: 'fanIn' });
  if (!bias) return { weight, bias: null };
  const bound = 1 / Math.sqrt(fanOf('init.default', weightShape, 'fanIn'));
  return { weight, bias: uniform([weightShape[0]], -bound, bound) };
}
