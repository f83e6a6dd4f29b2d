/** Pieces every zoo model shares: the conv-BN unit's layers and the paper's initialization (docs/method.md §12.2). */
import { fail } from '../../core/errors.js';
import { BatchNorm2d } from '../batchnorm.js';
import { Conv2d } from '../conv.js';
import { ZooModel, type GraphBuilder, type ModelOptions, type ZooWidths } from '../graph.js';
import { constant, kaimingNormal, normal } from '../init.js';
import { Linear } from '../linear.js';

/** He normal, fan-out, ReLU gain: N(0, 2/(k·k·C_out)). */
export const heFanOut = (shape: readonly number[]) => kaimingNormal(shape, { mode: 'fanOut' });

/** The conv (no bias) and BN of one conv-BN unit. */
export function convBn(cin: number, cout: number, k: number, stride: number, padding: number, gamma: number): { conv: Conv2d; bn: BatchNorm2d } {
  return {
    conv: new Conv2d(cin, cout, k, { stride, padding, bias: false, weightInit: heFanOut }),
    bn: new BatchNorm2d(cout, { gamma }),
  };
}

/** The classifier: Linear with weights N(0, 0.01²) and bias 0 (equivalent to the code's 1×1 conv after GAP). */
export const classifierLinear = (cin: number, classes: number) =>
  new Linear(cin, classes, { init: { weight: (s) => normal(s, 0, 0.01), bias: (s) => constant(s, 0) } });

export type ResolvedOptions = Required<Omit<ModelOptions, 'widths'>>;

export function resolveOptions(arch: string, o: ModelOptions, defaults: { inChannels: number; inputSize: number; numClasses: number }): ResolvedOptions {
  const r = {
    widthMultiplier: o.widthMultiplier ?? 1,
    inChannels: o.inChannels ?? defaults.inChannels,
    inputSize: o.inputSize ?? defaults.inputSize,
    numClasses: o.numClasses ?? defaults.numClasses,
  };
  for (const k of ['inChannels', 'inputSize', 'numClasses'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) fail(arch, `${k} must be a positive integer, got ${r[k]}`);
  }
  return r;
}

/**
 * A zoo network: pooled features into one Linear classifier. `finish` is the shared end of every
 * zoo constructor; the classifier is registered last under the family's own name (`classifier` or
 * `fc`), so state-dict names and order are those of the reference models.
 */
export abstract class ZooNet extends ZooModel {
  private head!: Linear;

  /** Checks that every width the plan was given was used, adds the classifier after `node` and keeps the graph. */
  protected finish(headName: string, plan: ZooWidths, g: GraphBuilder, node: number): void {
    plan.checkAllUsed();
    this.head = this.registerModule(headName, classifierLinear(g.channels(node), this.options.numClasses));
    g.classifier(node);
    this.graph = g;
  }

  get classifier(): Linear {
    return this.head;
  }
}
