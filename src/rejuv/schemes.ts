/**
 * The two ways to train the mixed network (docs/method.md §8.2, §8.3) and neural rescaling (§9).
 * Both schemes start from zero cross blocks; they differ in what the convs compute afterwards:
 * - Scheme A: each split conv computes only its S→S and R→R blocks (`installSchemeA`: a block-diagonal
 *   conv, or the block-diagonal weight mask after a concatenation); the cross blocks neither act nor learn.
 * - Scheme B: each split conv is replaced by a CrossAttentionConv2d (cross-attention.ts), which
 *   takes over its weight; the cross weights learn from zero.
 */
import { Conv2d } from '../nn/conv.js';
import type { ZooModel } from '../nn/graph.js';
import { tensor } from '../ops/creation.js';
import { div, mul } from '../ops/elementwise.js';
import { noGrad, tidy } from '../tensor/engine.js';
import { fail } from '../core/errors.js';
import { sourceWidth, type Source } from './channels.js';
import { CrossAttentionConv2d } from './cross-attention.js';
import { channelGraphOf } from './fromModel.js';
import { installMasks, installSchemeA, type Split } from './surgery.js';

export type Scheme = 'a' | 'b';

/**
 * Configure every split conv of `model` for the scheme: Scheme A's blocks (or masks) rebuilt from the split, or
 * for Scheme B a CrossAttentionConv2d swapped in with the same masks. Installing again (either
 * scheme) first turns Scheme B's convs back into plain ones; the weights are never copied.
 */
export function installScheme(model: ZooModel, split: Split, scheme: Scheme): void {
  for (const u of model.convBnUnits()) {
    if (!(u.conv instanceof CrossAttentionConv2d)) continue;
    const c = u.conv;
    const plain = new Conv2d(c.inChannels, c.outChannels, c.kernelSize, { stride: c.stride, padding: c.padding, dilation: c.dilation, bias: false, weightInit: () => c.weight });
    model.replaceUnitConv(u.name, plain);
    disposeShell(c);
  }
  if (scheme === 'a') {
    installSchemeA(model, split);
    return;
  }
  installMasks(model, split);
  for (const u of model.convBnUnits()) {
    const diag = u.conv.weightMask;
    if (!diag) continue;
    model.replaceUnitConv(u.name, new CrossAttentionConv2d(u.conv, diag));
    disposeShell(u.conv);
  }
}

/** Dispose a conv whose weight another conv has taken over: everything but that weight. */
function disposeShell(c: Conv2d): void {
  c.weightMask = null;
  c.releaseParameter('weight');
  c.dispose();
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
