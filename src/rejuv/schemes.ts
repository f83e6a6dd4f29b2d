/**
 * The two ways to train the mixed network (docs/method.md §8.2, §8.3) and neural rescaling (§9).
 * Both schemes start from zero cross blocks; they differ in what the convs compute afterwards:
 * - Scheme A: one conv with the block-diagonal weight mask (cross blocks neither act nor learn).
 * - Scheme B: cross-attention O = P + X ⊙ 2σ(P) before BN, P = conv(x, W ⊙ M) (own group),
 *   X = conv(x, W ⊙ (1 − M)) (the other group); the cross weights learn from zero.
 */
import type { Conv2d } from '../nn/conv.js';
import type { ZooModel } from '../nn/graph.js';
import { conv2d } from '../ops/conv.js';
import { copy, ones, tensor } from '../ops/creation.js';
import { add, div, mul, sigmoid, sub } from '../ops/elementwise.js';
import { keep, noGrad, tidy } from '../tensor/engine.js';
import { fail } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { sourceWidth, type Source } from './channels.js';
import { channelGraphOf } from './fromModel.js';
import { installMasks, type Split } from './surgery.js';

export type Scheme = 'a' | 'b';

/** The original forward of Conv2d, kept so Scheme B can be switched off again. */
const classForward = new WeakMap<Conv2d, Conv2d['forward']>();

/** Cross-attention forward for one conv whose weightMask is the block-diagonal mask. */
function crossAttention(conv: Conv2d, diag: Tensor, off: Tensor): (x: Tensor) => Tensor {
  return (x: Tensor) => {
    const o = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation };
    const p = conv2d(x, mul(conv.weight, diag), conv.bias, o);
    const xc = conv2d(x, mul(conv.weight, off), null, o);
    conv.lastOutputSize = [p.shape[2], p.shape[3]];
    return add(p, mul(xc, mul(sigmoid(p), 2)));
  };
}

/** Configure every split conv of `model` for the scheme (masks rebuilt from the split). */
export function installScheme(model: ZooModel, split: Split, scheme: Scheme): void {
  installMasks(model, split);
  if (scheme === 'a') return;
  for (const u of model.convBnUnits()) {
    const diag = u.conv.weightMask;
    if (!diag) continue;
    // Scheme B keeps the cross weights: the mask only splits the weight into its two parts.
    const off = noGrad(() => keep(tidy(() => sub(ones(diag.shape), diag))));
    const d = noGrad(() => keep(tidy(() => copy(diag))));
    u.conv.weightMask = null;
    if (!classForward.has(u.conv)) classForward.set(u.conv, u.conv.forward.bind(u.conv));
    u.conv.forward = crossAttention(u.conv, d, off);
  }
}

/** Input-channel scale of a consumer, in its physical channel order (1 for image and residual inputs). */
function inputScale(src: Source, scales: readonly (Float32Array | null)[], widths: readonly number[]): number[] {
  switch (src.kind) {
    case 'image':
    case 'add':
      return new Array<number>(sourceWidth(src, widths)).fill(1);
    case 'unit':
      return scales[src.unit] ? Array.from(scales[src.unit]!) : new Array<number>(widths[src.unit]).fill(1);
    case 'concat':
      return src.inputs.flatMap((p) => inputScale(p, scales, widths));
  }
}

/**
 * Neural rescaling, the exact rule of method §9 with target T: every survived neuron c of a non-fixed
 * unit gets s_c = min(|γ_c|, T) / T, γ_c ← γ_c / s_c, β_c ← β_c / s_c, and every weight that reads it
 * (next units, through concatenations, and the classifier) is multiplied by s_c. Exact because
 * conv → BN → ReLU (→ pooling) is positively homogeneous. γ_c = 0 is left alone (s_c = 1).
 */
export async function neuralRescale(model: ZooModel, split: Split, target = 0.5): Promise<void> {
  if (!(target > 0)) fail('nr.rescale', `target must be positive, got ${target}`);
  const mg = channelGraphOf(model);
  const widths = mg.graph.units.map((u) => u.out);
  const scales: (Float32Array | null)[] = [];
  for (const [l, u] of mg.units.entries()) {
    if (u.fixed) {
      scales.push(null);
      continue;
    }
    const g = await u.bn.weight!.toArray();
    const s = new Float32Array(g.length).fill(1);
    for (let c = 0; c < split.aOut[l]; c++) if (g[c] !== 0) s[c] = Math.min(Math.abs(g[c]), target) / target;
    scales.push(s);
  }
  noGrad(() => {
    mg.units.forEach((u, l) => {
      const s = scales[l];
      if (!s) return;
      u.bn.registerParameter('weight', tidy(() => div(u.bn.weight!, tensor(s))));
      u.bn.registerParameter('bias', tidy(() => div(u.bn.bias!, tensor(s))));
    });
    mg.graph.units.forEach((u, l) => {
      const sc = inputScale(u.input, scales, widths);
      if (sc.every((v) => v === 1)) return;
      const conv = mg.units[l].conv;
      conv.registerParameter('weight', tidy(() => mul(conv.weight, tensor(Float32Array.from(sc), [1, sc.length, 1, 1]))));
    });
    const sc = inputScale(mg.graph.classifier, scales, widths);
    const cls = model.classifier;
    cls.registerParameter('weight', tidy(() => mul(cls.weight, tensor(Float32Array.from(sc), [1, sc.length]))));
  });
}
