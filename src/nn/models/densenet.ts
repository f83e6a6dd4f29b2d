/**
 * Post-activation DenseNet-BC (docs/method.md §12.1): every unit is conv → BN → ReLU (unlike the original
 * pre-activation DenseNet), γ init 1, He fan-out convs, GAP + Linear classifier. No unit is fixed.
 * - `densenet_bc100` (CIFAR, k = 40): 3×3 stem to 2k, 3 blocks of 16 layers (1×1 → 4k, 3×3 → k),
 *   transitions 1×1 halving the channels + 2×2 average pool; 1140 final channels, 8.27 M parameters.
 * - `densenet121` (ImageNet, k = 32): 7×7/2 stem to 64 + 3×3/2 max-pool, blocks (6, 12, 24, 16).
 * Each layer's output is concatenated after its input, so with explicit widths the concat widths
 * follow from the parts. A dense layer given width 0 (for either conv) is deleted — not built,
 * absent from the state dict and the channel graph, but kept in `describe()` with width 0. Names follow torchvision: features.{conv0,norm0,relu0[,pool0]},
 * features.denseblock<b>.denselayer<l>.{conv1,norm1,relu1,conv2,norm2,relu2},
 * features.transition<t>.{conv,norm,relu,pool}, classifier.
 */
import { fail } from '../../core/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BatchNorm2d } from '../batchnorm.js';
import type { Conv2d } from '../conv.js';
import { adaptiveAvgPool2d, concat, flatten } from '../functional.js';
import { GraphBuilder, ZooWidths, type ModelOptions } from '../graph.js';
import { AvgPool2d, MaxPool2d, ReLU } from '../layers.js';
import { Module } from '../module.js';
import { Sequential } from '../sequential.js';
import { ZooNet, convBn, resolveOptions } from './common.js';

interface DenseNetSpec {
  growth: number;
  blocks: number[];
  imagenet: boolean;
}

export const DENSENET_SPECS: Record<string, DenseNetSpec> = {
  densenet_bc100: { growth: 40, blocks: [16, 16, 16], imagenet: false },
  densenet121: { growth: 32, blocks: [6, 12, 24, 16], imagenet: true },
};

/** conv → norm → relu under the given names (torchvision's naming). */
function addUnit(seq: Sequential, u: { conv: Conv2d; bn: BatchNorm2d }, suffix: string): void {
  seq.add(`conv${suffix}`, u.conv).add(`norm${suffix}`, u.bn).add(`relu${suffix}`, new ReLU());
}

/** A dense block: each layer reads the concatenation of everything before it. */
class DenseBlock extends Module {
  private readonly layers: Sequential[] = [];
  add(name: string, layer: Sequential): void {
    this.layers.push(this.registerModule(name, layer));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const l of this.layers) y = concat([y, l.forward(y)], 1);
    return y;
  }
}

export class DenseNet extends ZooNet {
  private readonly body: Sequential;

  constructor(arch: string, opts: ModelOptions = {}) {
    const spec = DENSENET_SPECS[arch];
    if (!spec) fail('DenseNet', `unknown architecture '${arch}' (known: ${Object.keys(DENSENET_SPECS).join(', ')})`);
    const o = resolveOptions(arch, opts, spec.imagenet ? { inChannels: 3, inputSize: 224, numClasses: 1000 } : { inChannels: 3, inputSize: 32, numClasses: 10 });
    super(arch, o);
    const plan = new ZooWidths(arch, o.widthMultiplier, opts.widths);
    const g = new GraphBuilder(arch, o.inputSize);
    const k = spec.growth;
    this.body = this.registerModule('features', new Sequential());

    // Default widths follow the full-size channel arithmetic, scaled; explicit widths override units.
    let base = spec.imagenet ? 64 : 2 * k;
    const stem = spec.imagenet
      ? convBn(o.inChannels, plan.width('features.conv0', base), 7, 2, 3, 1)
      : convBn(o.inChannels, plan.width('features.conv0', base), 3, 1, 1, 1);
    addUnit(this.body, stem, '0');
    if (spec.imagenet) this.body.add('pool0', new MaxPool2d(3, 2, 1));
    let node = g.unit('features.conv0', stem.conv, stem.bn, false, g.input(o.inChannels));
    if (spec.imagenet) g.pool(node, 3, 2, 1, 'features.conv0');

    spec.blocks.forEach((count, bi) => {
      const bname = `features.denseblock${bi + 1}`;
      const block = new DenseBlock();
      for (let l = 0; l < count; l++) {
        const lname = `${bname}.denselayer${l + 1}`;
        const w1 = plan.widthOrZero(`${lname}.conv1`, 4 * k);
        const w2 = plan.widthOrZero(`${lname}.conv2`, k);
        if (w1 === 0 || w2 === 0) {
          // A whole-dead layer (method §7.4): it adds no channels, so it is left out entirely.
          g.deleted(`${lname}.conv1`);
          g.deleted(`${lname}.conv2`);
          base += k;
          continue;
        }
        const u1 = convBn(g.channels(node), w1, 1, 1, 0, 1);
        const u2 = convBn(w1, w2, 3, 1, 1, 1);
        const layer = new Sequential();
        addUnit(layer, u1, '1');
        addUnit(layer, u2, '2');
        block.add(`denselayer${l + 1}`, layer);
        const n1 = g.unit(`${lname}.conv1`, u1.conv, u1.bn, false, node);
        const n2 = g.unit(`${lname}.conv2`, u2.conv, u2.bn, false, n1);
        node = g.concat([node, n2]);
        base += k;
      }
      this.body.add(`denseblock${bi + 1}`, block);
      if (bi < spec.blocks.length - 1) {
        const tname = `features.transition${bi + 1}`;
        base = Math.floor(base / 2);
        const t = convBn(g.channels(node), plan.width(`${tname}.conv`, base), 1, 1, 0, 1);
        const trans = new Sequential();
        addUnit(trans, t, '');
        trans.add('pool', new AvgPool2d(2, 2));
        this.body.add(`transition${bi + 1}`, trans);
        node = g.unit(`${tname}.conv`, t.conv, t.bn, false, node);
        g.pool(node, 2, 2, 0, `${tname}.conv`);
      }
    });
    this.finish('classifier', plan, g, node);
  }

  features(x: Tensor): Tensor {
    this.checkInput(x);
    return flatten(adaptiveAvgPool2d(this.body.forward(x), 1));
  }
}
