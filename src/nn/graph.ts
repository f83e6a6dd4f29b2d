/**
 * The structure of a zoo model, for code that reasons about channels (width changes, channel
 * statistics, pruning — src/rejuv is one such client):
 *
 * - `convBnUnits()`: every conv → BN unit in topological order, with `fixed` where the unit's output
 *   width is tied to other units' by a residual sum (ResNet stem, last conv of each block and
 *   projections; none for VGG and DenseNet). A unit's name is its conv's state-dict path.
 * - `channelGraph()`: how channel spaces flow. Nodes in topological order, referring to earlier nodes
 *   by index. ReLU and pooling are omitted (they keep channels). `add` is a residual merge (all
 *   inputs have the same width); `concat` joins its inputs' channels in order (DenseNet).
 * - `describe()`: a JSON description from which `createModel` rebuilds the identical architecture,
 *   including every unit's output width (checkpoints store it). Passing `widths` to `createModel`
 *   builds the same family with explicit per-unit widths (surgery).
 * - `replaceUnitConv(unit, conv)`: swap a unit's conv for another of the same geometry (a Conv2d
 *   subclass with another forward; NR's Scheme B installs its cross-attention conv this way).
 * - `features(x)`: the pooled feature vector [N, C] before the classifier; `classifier` is the
 *   final Linear, so a client can apply it to parts of the feature vector separately.
 * Each Conv2d's `lastOutputSize` holds the nominal size for the model's `inputSize` from construction
 * on and the actual one after each forward (FLOPs counting); it accepts a `weightMask`.
 */
import { fail, fmtShape } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { BatchNorm2d } from './batchnorm.js';
import type { Conv2d } from './conv.js';
import type { Linear } from './linear.js';
import { Module } from './module.js';

export interface ConvBnUnit {
  /** The conv's state-dict path (e.g. `features.3`, `layer1.0.conv2`). */
  name: string;
  conv: Conv2d;
  bn: BatchNorm2d;
  /** The BN's state-dict path: its γ is the parameter `${bnName}.weight` (the L1 hook's target). */
  bnName: string;
  fixed: boolean;
}

export type ChannelNode =
  | { kind: 'input'; channels: number }
  | { kind: 'unit'; name: string; input: number }
  | { kind: 'add'; inputs: number[] }
  | { kind: 'concat'; inputs: number[] }
  | { kind: 'classifier'; input: number };

export interface ModelOptions {
  /** Scales every default width (rounded, at least 1). Default 1. */
  widthMultiplier?: number;
  /** Image channels (3 for CIFAR/ImageNet, 1 for MNIST). */
  inChannels?: number;
  /** Nominal square input size (32 for CIFAR, 224 for ImageNet, 28 for MNIST). */
  inputSize?: number;
  numClasses?: number;
  /** Explicit output width per unit name (overrides the defaults; surgery uses it). */
  widths?: Record<string, number>;
}

export interface ModelDescription {
  arch: string;
  options: Required<Omit<ModelOptions, 'widths'>>;
  /** Output width of every conv-BN unit, by unit name, in topological order (0: a deleted DenseNet layer's units). */
  widths: Record<string, number>;
}

/** Hands out unit widths: defaults scaled by the multiplier, or explicit ones; rejects unknown names. */
export class ZooWidths {
  private readonly used = new Set<string>();
  constructor(
    readonly arch: string,
    readonly multiplier: number,
    private readonly explicit: Record<string, number> = {},
  ) {
    if (!(multiplier > 0) || !Number.isFinite(multiplier)) fail(arch, `widthMultiplier must be a positive number, got ${multiplier}`);
    for (const [k, v] of Object.entries(explicit)) {
      // 0 is accepted here; only families that can delete a unit (DenseNet layers) let it through.
      if (!Number.isInteger(v) || v < 0) fail(arch, `width of unit '${k}' must be a non-negative integer, got ${v}`);
    }
  }
  /** Width of unit `name` whose full-size default is `base`. */
  width(name: string, base: number): number {
    const w = this.widthOrZero(name, base);
    if (w === 0) fail(this.arch, `unit '${name}' cannot have width 0 (only a DenseNet layer can be deleted)`);
    return w;
  }
  /** Like `width`, but 0 is allowed: the caller deletes the unit. */
  widthOrZero(name: string, base: number): number {
    this.used.add(name);
    return this.explicit[name] ?? Math.max(1, Math.round(base * this.multiplier));
  }
  /** Fails if `widths` named a unit this architecture does not have. */
  checkAllUsed(): void {
    const unknown = Object.keys(this.explicit).filter((k) => !this.used.has(k));
    if (unknown.length) fail(this.arch, `widths name units this architecture does not have: ${unknown.join(', ')}`);
  }
}

/** PyTorch's output length of a conv or pool window along one axis. */
const windowOut = (n: number, k: number, stride: number, pad: number, dil = 1) => Math.floor((n + 2 * pad - dil * (k - 1) - 1) / stride) + 1;

/**
 * Builds the channel graph and the unit list together, in topological order. It also follows the
 * nominal spatial size (the model's `inputSize`) so that every conv's `lastOutputSize` is known
 * before the first forward (FLOPs-mode utilization) and a too-small input fails at construction.
 */
export class GraphBuilder {
  readonly nodes: ChannelNode[] = [];
  readonly units: ConvBnUnit[] = [];
  /** Every unit name in topological order with its width; deleted units (width 0) included. */
  readonly widths: [string, number][] = [];
  private readonly widthOf: number[] = [];
  private readonly sizeOf: [number, number][] = [];

  constructor(private readonly arch: string, private readonly inputSize: number) {}

  input(channels: number): number {
    return this.push({ kind: 'input', channels }, channels, [this.inputSize, this.inputSize]);
  }
  unit(name: string, conv: Conv2d, bn: BatchNorm2d, fixed: boolean, input: number): number {
    if (conv.inChannels !== this.widthOf[input]) {
      fail(name, `conv reads ${conv.inChannels} channels but its input node has ${this.widthOf[input]}`);
    }
    const [h, w] = this.sizeOf[input];
    const out: [number, number] = [0, 1].map((a) =>
      windowOut([h, w][a], conv.kernelSize[a], conv.stride[a], conv.padding[a], conv.dilation[a]),
    ) as [number, number];
    if (out[0] < 1 || out[1] < 1) {
      fail(this.arch, `input size ${this.inputSize} is too small: unit '${name}' would read a ${h}×${w} map and output ${out[0]}×${out[1]}`);
    }
    conv.lastOutputSize = out; // nominal until a forward pass records the actual size
    this.units.push({ name, conv, bn, bnName: '', fixed });
    this.widths.push([name, conv.outChannels]);
    return this.push({ kind: 'unit', name, input }, conv.outChannels, out);
  }
  /** A pooling window applied to `node`'s output (pools are not graph nodes: they keep channels). */
  pool(node: number, k: number, stride: number, pad: number, after: string): void {
    const [h, w] = this.sizeOf[node];
    const out: [number, number] = [windowOut(h, k, stride, pad), windowOut(w, k, stride, pad)];
    if (out[0] < 1 || out[1] < 1) fail(this.arch, `input size ${this.inputSize} is too small: the ${h}×${w} map after '${after}' pools to ${out[0]}×${out[1]}`);
    this.sizeOf[node] = out;
  }
  /** Global average pooling of `node`'s output. */
  globalPool(node: number): void {
    this.sizeOf[node] = [1, 1];
  }
  /** Record a unit the architecture deletes (DenseNet layer of width 0): described, not built. */
  deleted(name: string): void {
    this.widths.push([name, 0]);
  }
  add(inputs: number[], where: string): number {
    const w = inputs.map((i) => this.widthOf[i]);
    if (w.some((x) => x !== w[0])) {
      const names = inputs.map((i) => this.label(i));
      fail(where, `units feeding one addition must have equal widths: ${names.map((n, k) => `${n}=${w[k]}`).join(', ')}`);
    }
    return this.push({ kind: 'add', inputs }, w[0], this.sizeOf[inputs[0]]);
  }
  concat(inputs: number[]): number {
    return this.push({ kind: 'concat', inputs }, inputs.reduce((s, i) => s + this.widthOf[i], 0), this.sizeOf[inputs[0]]);
  }
  classifier(input: number): number {
    return this.push({ kind: 'classifier', input }, this.widthOf[input], [1, 1]);
  }
  channels(node: number): number {
    return this.widthOf[node];
  }
  private label(i: number): string {
    const n = this.nodes[i];
    return n.kind === 'unit' ? n.name : `${n.kind}#${i}`;
  }
  private push(n: ChannelNode, width: number, size: [number, number]): number {
    this.nodes.push(n);
    this.widthOf.push(width);
    this.sizeOf.push(size);
    return this.nodes.length - 1;
  }
}

/** Base of every zoo model: forward = classifier(features(x)), plus the structure hooks above. */
export abstract class ZooModel extends Module {
  readonly arch: string;
  readonly options: Required<Omit<ModelOptions, 'widths'>>;
  protected graph!: GraphBuilder;

  constructor(arch: string, options: Required<Omit<ModelOptions, 'widths'>>) {
    super();
    this.arch = arch;
    this.options = options;
  }

  abstract get classifier(): Linear;
  /** The pooled feature vector [N, C] that the classifier reads. */
  abstract features(x: Tensor): Tensor;

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features(x));
  }

  protected checkInput(x: Tensor): void {
    if (x.rank !== 4 || x.shape[1] !== this.options.inChannels) {
      fail(this.arch, `expected input [N, ${this.options.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    }
  }

  convBnUnits(): ConvBnUnit[] {
    if (this.graph.units.some((u) => u.bnName === '')) {
      const paths = new Map(this.namedModules().map(([p, m]) => [m, p]));
      for (const u of this.graph.units) u.bnName = paths.get(u.bn) ?? fail(this.arch, `BN of unit '${u.name}' is not in the module tree`);
    }
    return this.graph.units.map((u) => ({ ...u }));
  }
  channelGraph(): ChannelNode[] {
    return this.graph.nodes.map((n) => structuredClone(n));
  }

  /**
   * Put `conv` in place of unit `unit`'s conv (same geometry; e.g. a Conv2d subclass with another
   * forward) and return the old conv, not disposed: the caller owns it and may hand its tensors to
   * `conv` first. Families look their units up in the module tree, so the new conv is the one that runs.
   */
  replaceUnitConv(unit: string, conv: Conv2d): Conv2d {
    const u = this.graph.units.find((v) => v.name === unit) ?? fail(this.arch, `has no conv-BN unit '${unit}'`);
    const old = u.conv;
    const geom = (c: Conv2d) => JSON.stringify([c.inChannels, c.outChannels, c.kernelSize, c.stride, c.padding, c.dilation]);
    if (geom(conv) !== geom(old)) fail(`${this.arch}.replaceUnitConv`, `unit '${unit}': the new conv must have the old one's geometry [in, out, kernel, stride, padding, dilation] ${geom(old)}, got ${geom(conv)}`);
    const at = unit.lastIndexOf('.');
    const parent = at < 0 ? this : this.moduleAt(unit.slice(0, at));
    if (parent.replaceChild(unit.slice(at + 1), conv) !== old) fail(`${this.arch}.replaceUnitConv`, `unit '${unit}' is not its conv's module path`);
    conv.lastOutputSize = old.lastOutputSize;
    u.conv = conv;
    return old;
  }

  private moduleAt(path: string): Module {
    const m = this.namedModules().find(([p]) => p === path);
    return m ? m[1] : fail(this.arch, `has no module '${path}'`);
  }
  describe(): ModelDescription {
    const widths = Object.fromEntries(this.graph.widths);
    return { arch: this.arch, options: { ...this.options }, widths };
  }
}
