/**
 * Dead neurons on purpose, for tests that need a surgery with something to rebuild after only a few
 * training steps (test/torch-interop.test.ts, test/torch-ddp.test.ts): an NR plugin that, just before
 * the check at the end of each monitoring epoch, zeroes γ of every third channel of each non-fixed
 * unit (at least one channel stays) and every γ of `wholeDead` (a DenseNet layer, which surgery then
 * deletes). The split then has survived and rejuvenated channels in every unit.
 */
import * as rj from '../../src/index.js';
import type { ZooModel } from '../../src/nn/graph.js';
import type { TrainingPlugin } from '../../src/train/plugin.js';

/** Zero γ of every third channel of each non-fixed unit (and all of unit `wholeDead`). */
export async function killNeurons(model: ZooModel, wholeDead?: string): Promise<void> {
  for (const [l, u] of model.convBnUnits().entries()) {
    if (u.fixed) continue;
    const g = (await u.bn.weight!.toArray()) as Float32Array;
    const all = u.name === wholeDead;
    for (let c = 0; c < g.length; c++) if (all || ((c + l) % 3 === 0 && g.length > 1)) g[c] = 0;
    u.bn.registerParameter('weight', rj.tensor(g, [g.length]));
  }
}

/** A trainer `makePlugin`: Neural Rejuvenation with `opts`, neurons killed before each monitoring check. */
export function nrWithDeadNeurons(opts: rj.NROptions, wholeDead?: string): (model: ZooModel) => TrainingPlugin {
  return (model) => {
    const nr = new rj.NeuralRejuvenation(model, opts);
    const p = nr.plugin();
    return {
      ...p,
      endOfEpoch: async (ctx) => {
        if (nr.phase === 'monitor') await killNeurons(nr.model, wholeDead);
        return p.endOfEpoch!(ctx);
      },
    };
  };
}
