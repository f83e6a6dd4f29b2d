/**
 * The γ monitor: the dead rule (docs/method.md §3) evaluated on the device for every conv-BN unit of a
 * model, in one `nrGammaStats` dispatch. One place builds the layer table it needs; the NR plugin
 * (src/rejuv/nr.ts), the browser page's neuron monitor (web/monitor.ts) and `rejuv inspect`
 * (src/cli/nr.ts) all read γ through it, on either backend.
 */
import { fail } from '../core/errors.js';
import { tensor } from '../ops/creation.js';
import { keep, noGrad, tidy } from '../tensor/engine.js';
import { readAll, type Tensor } from '../tensor/tensor.js';
import { gammaLayout } from './channels.js';
import { channelGraphOf, type ModelGraph } from './fromModel.js';
import { gammaStats, packLayout, type GammaLayout, type GammaStats } from './ops.js';
import type { ZooModel } from '../nn/graph.js';

export class GammaMonitor {
  readonly graph: ModelGraph;
  readonly layout: GammaLayout;
  private readonly info: Tensor;

  constructor(model: ZooModel) {
    this.graph = channelGraphOf(model);
    this.layout = gammaLayout(this.graph.graph);
    this.info = keep(tensor(packLayout(this.layout), undefined, { dtype: 'int32' }));
  }

  /** Every unit's γ, in unit order. */
  gammas(): Tensor[] {
    return this.graph.units.map((u) => u.bn.weight ?? fail('GammaMonitor', `unit ${u.name}: batch norm without γ (affine=false); nothing to monitor`));
  }

  /** Dead mask, per-layer max |γ| and alive counts, on device (call inside tidy; read what you need). */
  stats(): GammaStats {
    return noGrad(() => gammaStats(this.gammas(), this.info, this.layout));
  }

  /** Alive neurons per unit, read back (one readback). */
  async aliveCounts(): Promise<number[]> {
    const counts = tidy(() => this.stats().counts);
    const [c] = await readAll([counts]);
    counts.dispose();
    return Array.from(c, (v) => Math.round(v));
  }

  dispose(): void {
    this.info.dispose();
  }
}
