/**
 * Scheme B's conv (docs/method.md §8.3): cross-attention between the survived (S) and rejuvenated (R)
 * channel groups of a split layer, before its batch norm:
 *   O = P + X ⊙ 2σ(P),   P = conv(x, W ⊙ M)   (each group from its own group),
 *                        X = conv(x, W ⊙ (1 − M))   (each group from the other group),
 * with M the block-diagonal mask of the split. The cross blocks of W start at zero (surgery), so at
 * installation O = P: the network computes what Scheme A's would; they then learn.
 * It is a Conv2d of the replaced conv's geometry that takes over its weight tensor (same parameter
 * name, so checkpoints keep their layout; the masks are rebuilt from the split, never saved), and is
 * installed with `ZooModel.replaceUnitConv` by `installScheme` (schemes.ts).
 */
import type { ConvBlock } from '../core/conv-geom.js';
import { Conv2d } from '../nn/conv.js';
import { conv2d } from '../ops/conv.js';
import { copy, ones } from '../ops/creation.js';
import { add, mul, sigmoid, sub } from '../ops/elementwise.js';
import { keep, noGrad, tidy } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export class CrossAttentionConv2d extends Conv2d {
  /** M (own group) and 1 − M (the other group), owned by this module. */
  private readonly own: Tensor;
  private readonly cross: Tensor;

  /** Scheme B for `base`'s weight (taken over, not copied) under the block-diagonal mask `diag`. */
  constructor(base: Conv2d, diag: Tensor) {
    if (base.bias) fail('CrossAttentionConv2d', 'the split conv has a bias; NR units have none (docs/method.md §1.2)');
    super(base.inChannels, base.outChannels, base.kernelSize, {
      stride: base.stride, padding: base.padding, dilation: base.dilation, bias: false, weightInit: () => base.weight,
    });
    if (!shapesEqual(diag.shape, base.weight.shape)) fail('CrossAttentionConv2d', `mask must have the weight's shape ${fmtShape(base.weight.shape)}, got ${fmtShape(diag.shape)}`);
    this.own = noGrad(() => keep(tidy(() => copy(diag))));
    this.cross = noGrad(() => keep(tidy(() => sub(ones(diag.shape), diag))));
  }

  override set weightMask(m: Tensor | null) {
    if (m !== null) fail('CrossAttentionConv2d.weightMask', 'Scheme B splits its weight with its own masks; install Scheme A on a plain Conv2d instead');
  }
  override get weightMask(): Tensor | null {
    return null;
  }
  override set blocks(bs: readonly ConvBlock[] | null) {
    if (bs !== null) fail('CrossAttentionConv2d.blocks', 'Scheme B computes the cross blocks too; install Scheme A on a plain Conv2d instead');
  }
  override get blocks(): readonly ConvBlock[] | null {
    return null;
  }

  override forward(x: Tensor): Tensor {
    const o = { stride: this.stride, padding: this.padding, dilation: this.dilation };
    const p = conv2d(x, mul(this.weight, this.own), null, o);
    const xc = conv2d(x, mul(this.weight, this.cross), null, o);
    this.lastOutputSize = [p.shape[2], p.shape[3]];
    return add(p, mul(xc, mul(sigmoid(p), 2)));
  }

  protected override disposeOwn(): void {
    this.own.dispose();
    this.cross.dispose();
    super.disposeOwn();
  }

  override toString(): string {
    return `CrossAttentionConv2d(${this.inChannels}, ${this.outChannels}, kernel=${this.kernelSize}, stride=${this.stride}, padding=${this.padding})`;
  }
}
