/**
 * What the page's charts show about neurons, from the library's own Neural Rejuvenation monitoring
 * (src/rejuv): the all-layer γ statistics kernel gives alive counts per layer (|γ| < 1 % of the layer's
 * max is dead, docs/method.md §3), and `utilization` turns them into the live share of the conv parameters.
 * It runs whether NR is on or off, so the baseline's curves can be compared with NR's.
 */
import type { ZooModel } from '../src/nn/graph.js';
import { gammaLayout } from '../src/rejuv/channels.js';
import { gammaStats, packLayout } from '../src/rejuv/ops.js';
import { channelGraphOf, type ModelGraph } from '../src/rejuv/fromModel.js';
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
  private readonly mg: ModelGraph;
  private readonly info: rj.Tensor;
  private readonly layout: ReturnType<typeof gammaLayout>;

  constructor(private readonly model: ZooModel) {
    this.mg = channelGraphOf(model);
    this.layout = gammaLayout(this.mg.graph);
    this.info = rj.keep(rj.tensor(packLayout(this.layout), undefined, { dtype: 'int32' }));
  }

  private gammaTensors(): rj.Tensor[] {
    return this.mg.units.map((u) => {
      const g = u.bn.weight;
      if (!g) throw new Error(`monitor: unit ${u.name} has a batch norm without γ (affine=false); nothing to monitor`);
      return g;
    });
  }

  /** Device tensors to read back with the step's loss: the alive counts, then every γ. Call inside tidy. */
  tensors(): rj.Tensor[] {
    const gammas = this.gammaTensors();
    const stats = rj.noGrad(() => gammaStats(gammas, this.info, this.layout));
    return [stats.counts, ...gammas.map((g) => rj.noGrad(() => rj.abs(g)))];
  }

  /** Interpret what `tensors()` read back. */
  snapshot(values: ArrayLike<number>[]): NeuronSnapshot {
    const alive = Array.from(values[0], (v) => Math.round(v));
    return {
      names: this.mg.units.map((u) => u.name),
      widths: [...this.layout.lengths],
      alive,
      gammas: values.slice(1).map((v) => Float32Array.from(v)),
      utilization: utilization(this.mg.graph, alive),
    };
  }

  dispose(): void {
    this.info.dispose();
  }
}
