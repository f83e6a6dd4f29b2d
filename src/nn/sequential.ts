/**
 * `Sequential`: children applied in order, named '0', '1', … by default (as PyTorch), or with
 * explicit names (as `nn.Sequential(OrderedDict(...))`, which torchvision's DenseNet uses).
 */
import { fail } from '../core/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { BatchNorm2d } from './batchnorm.js';
import { ReLU } from './layers.js';
import { Module } from './module.js';

export class Sequential extends Module {
  private readonly list: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Add under the next index as its name. */
  append(m: Module): this {
    return this.add(String(this.list.length), m);
  }

  /** Add under an explicit name. */
  add(name: string, m: Module): this {
    if (this.namedChildren().some(([n]) => n === name)) fail('Sequential', `a child named '${name}' already exists`);
    this.registerModule(name, m);
    this.list.push(m);
    return this;
  }

  /** Swapping a child keeps its place in the order. */
  override replaceChild(name: string, m: Module): Module {
    const old = super.replaceChild(name, m);
    this.list[this.list.indexOf(old)] = m;
    return old;
  }

  get length(): number {
    return this.list.length;
  }
  at(i: number): Module {
    return this.list[i];
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.list[Symbol.iterator]();
  }

  /** A BatchNorm2d followed by a ReLU runs as one fused kernel (same result, one pass less each way). */
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.list.length; i++) {
      const m = this.list[i];
      if (m instanceof BatchNorm2d && this.list[i + 1] instanceof ReLU) {
        y = m.forward(y, { relu: true });
        i++;
      } else y = m.forward(y);
    }
    return y;
  }
}
