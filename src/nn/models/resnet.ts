/**
 * Post-activation ResNets (docs/method.md §12.1), γ init 1, He fan-out convs, GAP + Linear classifier `fc`.
 * - CIFAR (`resnet164`: 18 bottleneck blocks per stage, planes 16/32/64, 1.70 M parameters;
 *   `resnet20`: 3 basic blocks per stage): 3×3 stem, stages at strides 1, 2, 2.
 * - ImageNet (`resnet18/34/50/101`): torchvision's layout (7×7/2 stem, 3×3/2 max-pool, planes
 *   64…512, stride on the 3×3 conv of a bottleneck), so torchvision state dicts load by name.
 * Fixed units (method §3.2): the stem, the last conv of every block and every projection — the
 * layers whose output lands on the residual stream.
 * Names: conv1, bn1, layer<s>.<b>.{conv1,bn1,conv2,bn2[,conv3,bn3],downsample.{0,1}}, fc.
 */
import { fail } from '../../core/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { BatchNorm2d } from '../batchnorm.js';
import type { Conv2d } from '../conv.js';
import { add, adaptiveAvgPool2d, flatten, relu } from '../functional.js';
import { GraphBuilder, ZooWidths, type ModelOptions } from '../graph.js';
import { MaxPool2d } from '../layers.js';
import { Module } from '../module.js';
import { Sequential } from '../sequential.js';
import { ZooNet, convBn, resolveOptions } from './common.js';

interface ResNetSpec {
  block: 'basic' | 'bottleneck';
  blocks: number[];
  planes: number[];
  imagenet: boolean;
}

export const RESNET_SPECS: Record<string, ResNetSpec> = {
  resnet20: { block: 'basic', blocks: [3, 3, 3], planes: [16, 32, 64], imagenet: false },
  resnet164: { block: 'bottleneck', blocks: [18, 18, 18], planes: [16, 32, 64], imagenet: false },
  resnet18: { block: 'basic', blocks: [2, 2, 2, 2], planes: [64, 128, 256, 512], imagenet: true },
  resnet34: { block: 'basic', blocks: [3, 4, 6, 3], planes: [64, 128, 256, 512], imagenet: true },
  resnet50: { block: 'bottleneck', blocks: [3, 4, 6, 3], planes: [64, 128, 256, 512], imagenet: true },
  resnet101: { block: 'bottleneck', blocks: [3, 4, 23, 3], planes: [64, 128, 256, 512], imagenet: true },
};

/**
 * One residual block: main-path units conv<i>/bn<i> in order, `downsample` the projection. Units are
 * looked up in the module tree at each forward (not kept in fields), so a conv swapped in by
 * `ZooModel.replaceUnitConv` is the one that runs.
 */
class Block extends Module {
  private readonly depth: number;
  readonly downsample: Sequential | null;

  constructor(units: { conv: Conv2d; bn: BatchNorm2d }[], downsample: { conv: Conv2d; bn: BatchNorm2d } | null) {
    super();
    units.forEach((u, i) => {
      this.registerModule(`conv${i + 1}`, u.conv);
      this.registerModule(`bn${i + 1}`, u.bn);
    });
    this.depth = units.length;
    this.downsample = downsample ? this.registerModule('downsample', new Sequential(downsample.conv, downsample.bn)) : null;
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 1; i <= this.depth; i++) {
      y = this.child<BatchNorm2d>(`bn${i}`).forward(this.child<Conv2d>(`conv${i}`).forward(y), { relu: i < this.depth });
    }
    const shortcut = this.downsample ? this.downsample.forward(x) : x;
    return relu(add(y, shortcut));
  }
}

export class ResNet extends ZooNet {
  private readonly pool: MaxPool2d | null;
  private readonly stages: Sequential[] = [];

  constructor(arch: string, opts: ModelOptions = {}) {
    const spec = RESNET_SPECS[arch];
    if (!spec) fail('ResNet', `unknown architecture '${arch}' (known: ${Object.keys(RESNET_SPECS).join(', ')})`);
    const o = resolveOptions(arch, opts, spec.imagenet ? { inChannels: 3, inputSize: 224, numClasses: 1000 } : { inChannels: 3, inputSize: 32, numClasses: 10 });
    super(arch, o);
    const plan = new ZooWidths(arch, o.widthMultiplier, opts.widths);
    const g = new GraphBuilder(arch, o.inputSize);
    const expansion = spec.block === 'bottleneck' ? 4 : 1;
    const input = g.input(o.inChannels);

    const stemBase = spec.imagenet ? 64 : 16;
    const stem = spec.imagenet ? convBn(o.inChannels, plan.width('conv1', stemBase), 7, 2, 3, 1) : convBn(o.inChannels, plan.width('conv1', stemBase), 3, 1, 1, 1);
    this.registerModule('conv1', stem.conv);
    this.registerModule('bn1', stem.bn);
    let node = g.unit('conv1', stem.conv, stem.bn, true, input);
    this.pool = spec.imagenet ? this.registerModule('maxpool', new MaxPool2d(3, 2, 1)) : null;
    if (this.pool) g.pool(node, 3, 2, 1, 'conv1');

    spec.blocks.forEach((count, s) => {
      const stage = this.registerModule(`layer${s + 1}`, new Sequential());
      this.stages.push(stage);
      for (let b = 0; b < count; b++) {
        const prefix = `layer${s + 1}.${b}`;
        const stride = b === 0 && s > 0 ? 2 : 1;
        const planes = spec.planes[s];
        const cin = g.channels(node);
        const units: { conv: Conv2d; bn: BatchNorm2d }[] = [];
        const w1 = plan.width(`${prefix}.conv1`, planes);
        if (spec.block === 'basic') {
          units.push(convBn(cin, w1, 3, stride, 1, 1));
          units.push(convBn(w1, plan.width(`${prefix}.conv2`, planes), 3, 1, 1, 1));
        } else {
          const w2 = plan.width(`${prefix}.conv2`, planes);
          units.push(convBn(cin, w1, 1, 1, 0, 1));
          units.push(convBn(w1, w2, 3, stride, 1, 1));
          units.push(convBn(w2, plan.width(`${prefix}.conv3`, planes * expansion), 1, 1, 0, 1));
        }
        // A projection where the default architecture has one (shape change), as the reference code.
        const needsProj = stride !== 1 || (b === 0 && (spec.imagenet ? planes * expansion !== 64 : planes * expansion !== 16));
        const proj = needsProj ? convBn(cin, plan.width(`${prefix}.downsample.0`, planes * expansion), 1, stride, 0, 1) : null;
        const block = new Block(units, proj);
        stage.append(block);

        let y = node;
        units.forEach((u, i) => {
          const last = i === units.length - 1;
          y = g.unit(`${prefix}.conv${i + 1}`, u.conv, u.bn, last, y);
        });
        const shortcut = proj ? g.unit(`${prefix}.downsample.0`, proj.conv, proj.bn, true, node) : node;
        node = g.add([y, shortcut], `${arch} ${prefix}`);
      }
    });
    this.finish('fc', plan, g, node);
  }

  features(x: Tensor): Tensor {
    this.checkInput(x);
    let y = this.child<BatchNorm2d>('bn1').forward(this.child<Conv2d>('conv1').forward(x), { relu: true });
    if (this.pool) y = this.pool.forward(y);
    for (const s of this.stages) y = s.forward(y);
    return flatten(adaptiveAvgPool2d(y, 1));
  }
}
