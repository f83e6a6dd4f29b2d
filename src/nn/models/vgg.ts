/**
 * The NR paper's VGGs (docs/method.md §12.1): chains of 3×3 conv-BN-ReLU units (no bias, γ init 0.5) with
 * max-pools, then global average pooling and a Linear classifier. No unit is fixed.
 * - `vgg19` (CIFAR): 16 units, only two max-pools; 20.04 M parameters at full width.
 * - `vgg16_nr` (ImageNet, method §12.1): VGG-16-BN's 13 convs, max-pools after blocks 1–4, average
 *   pooling to 1×1 (the code's 14×14 average pool at 224²), then the two FC layers as 1×1
 *   conv-BN-ReLU units 512→4096→4096; 37.7 M parameters.
 * - `vgg_mini`: the miniature of method §13.1 (16, 16, M, 32, 32, M, 64, 64).
 * State-dict names: `features.<i>.*` (conv, BN, ReLU, pool in one Sequential) and `classifier.*`.
 */
import { fail } from '../../core/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { adaptiveAvgPool2d, flatten } from '../functional.js';
import { GraphBuilder, ZooWidths, type ModelOptions } from '../graph.js';
import { AdaptiveAvgPool2d, MaxPool2d, ReLU } from '../layers.js';
import { Sequential } from '../sequential.js';
import { ZooNet, convBn, resolveOptions } from './common.js';

/** A number is a 3×3 unit of that width, 'M' a 2×2 max-pool, 'A' global average pooling, 'F<n>' a 1×1 unit. */
export type VggCfg = (number | 'M' | 'A' | `F${number}`)[];

export const VGG_CFGS: Record<string, VggCfg> = {
  vgg19: [64, 64, 128, 128, 'M', 256, 256, 256, 256, 512, 512, 'M', 512, 512, 512, 512, 512, 512],
  vgg16_nr: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'A', 'F4096', 'F4096'],
  vgg_mini: [16, 16, 'M', 32, 32, 'M', 64, 64],
};

const DEFAULTS: Record<string, { inChannels: number; inputSize: number; numClasses: number }> = {
  vgg19: { inChannels: 3, inputSize: 32, numClasses: 10 },
  vgg16_nr: { inChannels: 3, inputSize: 224, numClasses: 1000 },
  vgg_mini: { inChannels: 3, inputSize: 16, numClasses: 10 },
};

export class VGG extends ZooNet {
  private readonly body: Sequential;

  constructor(arch: string, opts: ModelOptions = {}) {
    const cfg = VGG_CFGS[arch];
    if (!cfg) fail('VGG', `unknown configuration '${arch}' (known: ${Object.keys(VGG_CFGS).join(', ')})`);
    const o = resolveOptions(arch, opts, DEFAULTS[arch]);
    super(arch, o);
    const plan = new ZooWidths(arch, o.widthMultiplier, opts.widths);
    const g = new GraphBuilder(arch, o.inputSize);
    let node = g.input(o.inChannels);
    this.body = this.registerModule('features', new Sequential());
    for (const item of cfg) {
      if (item === 'M') {
        g.pool(node, 2, 2, 0, `features.${this.body.length - 3}`);
        this.body.append(new MaxPool2d(2, 2));
      } else if (item === 'A') {
        g.globalPool(node);
        this.body.append(new AdaptiveAvgPool2d(1));
      }
      else {
        const k = typeof item === 'number' ? 3 : 1;
        const base = typeof item === 'number' ? item : Number(item.slice(1));
        const name = `features.${this.body.length}`;
        const { conv, bn } = convBn(g.channels(node), plan.width(name, base), k, 1, k === 3 ? 1 : 0, 0.5);
        this.body.append(conv).append(bn).append(new ReLU());
        node = g.unit(name, conv, bn, false, node);
      }
    }
    this.finish('classifier', plan, g, node);
  }

  features(x: Tensor): Tensor {
    this.checkInput(x);
    return flatten(adaptiveAvgPool2d(this.body.forward(x), 1));
  }
}
