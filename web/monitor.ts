/**
 * What the page's charts show about neurons, from the library's own Neural Rejuvenation monitoring
 * (src/rejuv): the all-layer γ statistics kernel gives alive counts per layer (|γ| < 1 % of the layer's
 * max is dead, docs/method.md §3), and `utilization` turns them into the live share of the conv parameters.
 * It runs whether NR is on or off, so the baseline's curves can be compared with NR's.
 */
import type { ZooModel } from '../src/nn/graph.js';
import { GammaMonitor } from '../src/rejuv/gamma-monitor.js';
import { utilization } from '../src/rejuv/plan.js';
import * as rj from '../src/index.js';

export interface NeuronSnapshot {
  /** Unit names and widths, in topological order. */
  names: string[];
  widths: number[];
  alive: number[];
  /** |γ| per channel of each unit. */
  gammas: Float32Array[];
  /** Live share of the conv parameters (method §4.1, parameter mode). */
  utilization: number;
}

export class NeuronMonitor {
  private readonly gamma: GammaMonitor;

  constructor(model: ZooModel) {
    this.gamma = new GammaMonitor(model);
  }

  /** Device tensors to read back with the step's loss: the alive counts, then every |γ|. Call inside tidy. */
  tensors(): rj.Tensor[] {
    const stats = this.gamma.stats();
    return [stats.counts, ...this.gamma.gammas().map((g) => rj.noGrad(() => rj.abs(g)))];
  }

  /** Interpret what `tensors()` read back. */
  snapshot(values: ArrayLike<number>[]): NeuronSnapshot {
    const alive = Array.from(values[0], (v) => Math.round(v));
    return {
      names: this.gamma.graph.units.map((u) => u.name),
      widths: [...this.gamma.layout.lengths],
      alive,
      gammas: values.slice(1).map((v) => Float32Array.from(v)),
      utilization: utilization(this.gamma.graph.graph, alive),
    };
  }

  dispose(): void {
    this.gamma.dispose();
  }
}
