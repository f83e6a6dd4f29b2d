/**
 * Neural Rejuvenation benchmark.
 * 1. Monitoring + sparsity overhead as % of a training step: the same vgg_mini step (16×16 images,
 *    batch 64: forward, cross-entropy, backward, fused SGD, one readback) without and with NR's
 *    additions (λ·sign(γ) in the fused update, the all-layer γ-statistics dispatch, its counts in the
 *    step's readback). Plain and NR steps alternate so machine noise hits both alike; medians.
 *    Bar: ≤ 3 %.
 * 2. Surgery of the full-width CIFAR VGG-19 (20 M parameters) with half of every layer's neurons dead:
 *    dead-mask readback, rebuilding the model, gathers and masked inits on device, state-dict install,
 *    Scheme A masks, until the device is idle. Bar: ≤ 2 s.
 *
 *   npm run bench -- nr    (or: npx tsx bench/nr.ts)
 */
import * as rj from '../src/index.js';
import type { WebGPUBackend } from '../src/kernels/webgpu/backend.js';
import { createModel } from '../src/nn/models/index.js';
import { NeuralRejuvenation } from '../src/rejuv/nr.js';
import { engine } from '../src/tensor/engine.js';
import { SGD } from '../src/nn/optim.js';
import type { HostBatch } from '../src/data/loader.js';
import { forwardLossOf, trainStep } from '../src/train/step.js';
import { median, type Figure } from './util.js';

export interface NrBenchContext { quick?: boolean }

async function stepOverhead(runs: number): Promise<Figure[]> {
  const model = createModel('vgg_mini', { inputSize: 16, numClasses: 10 });
  const nr = new NeuralRejuvenation(model, { lambda: 1e-2 });
  const plugin = nr.plugin();
  const cfg = { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 };
  // The trainer's step (src/train/step.ts) with and without the plugin: λ·sign(γ) fused into the update,
  // the γ statistics read back with the loss.
  const plain = new SGD(model, cfg);
  const withNr = new SGD(model, cfg);
  withNr.extras = (n) => plugin.paramUpdateExtras!(n);
  const xr = rj.randn([64, 3, 16, 16], { seed: 1 });
  const host: HostBatch = { x: Float32Array.from(await xr.toArray()), y: Int32Array.from({ length: 64 }, (_, i) => i % 10), shape: [64, 3, 16, 16] };
  xr.dispose();
  const fwd = forwardLossOf(() => model, () => null);
  const step = async (useNr: boolean) => {
    await trainStep(model, useNr ? withNr : plain, fwd, useNr ? plugin : null, host);
  };
  for (let i = 0; i < 3; i++) {
    await step(false);
    await step(true);
  }
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const useNr of i % 2 ? [true, false] : [false, true]) {
      const t0 = performance.now();
      await step(useNr);
      (useNr ? b : a).push(performance.now() - t0);
    }
  }
  // The γ-statistics dispatch alone, with its readback (what monitoring adds besides the fused l1).
  const stats: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c = rj.tidy(() => nr.stats().counts);
    await rj.readAll([c]);
    c.dispose();
    stats.push(performance.now() - t0);
  }
  const base = median(a), withMon = median(b);
  plain.dispose();
  withNr.dispose();
  nr.dispose();
  model.dispose();
  return [
    { name: 'vgg_mini step (batch 64, 16×16), plain', value: base, unit: 'ms', samples: a },
    { name: 'vgg_mini step with NR monitoring + l1', value: withMon, unit: 'ms', samples: b },
    { name: 'NR overhead per step (bar ≤ 3 %)', value: (100 * (withMon - base)) / base, unit: '%', note: 'median(NR) / median(plain) − 1; noisy on a shared CPU' },
    { name: 'γ statistics dispatch + counts readback alone', value: median(stats), unit: 'ms', samples: stats, note: `${((100 * median(stats)) / base).toFixed(2)} % of a plain step (includes a readback the real step shares)` },
  ];
}

async function surgeryTime(runs: number): Promise<Figure[]> {
  const times: number[] = [];
  let info = '';
  for (let r = 0; r < runs; r++) {
    const model = createModel('vgg19', {});
    // Half of every layer dead (γ = 0), the rest alive.
    rj.noGrad(() => {
      for (const u of model.convBnUnits()) {
        const C = u.conv.outChannels;
        u.bn.registerParameter('weight', rj.tensor(Float32Array.from({ length: C }, (_, c) => (c % 2 ? 0 : 0.5))));
      }
    });
    await (engine.backend as WebGPUBackend).sync();
    const nr = new NeuralRejuvenation(model, { target: 0.5 });
    const t0 = performance.now();
    const res = await nr.rejuvenate();
    await (engine.backend as WebGPUBackend).sync();
    times.push(performance.now() - t0);
    info = `rate ${res.plan.rate.toFixed(3)}, conv params ${res.plan.resource.all} → ${res.denseParams} dense, ${res.effectiveParams} effective`;
    nr.model.dispose();
    nr.dispose();
  }
  // Part of the surgery is the model constructor drawing a fresh He-normal init that is then overwritten.
  const ctor: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const m = createModel('vgg19', {});
    await (engine.backend as WebGPUBackend).sync();
    ctor.push(performance.now() - t0);
    m.dispose();
  }
  return [
    { name: 'surgery, full-width CIFAR VGG-19 (20 M params, bar ≤ 2 s)', value: median(times) / 1000, unit: 's', samples: times, note: info },
    { name: '  of which could be saved: createModel(vgg19) random init', value: median(ctor) / 1000, unit: 's', samples: ctor, note: 'the constructor draws weights that surgery overwrites' },
  ];
}

export async function run(ctx: NrBenchContext = {}): Promise<Figure[]> {
  return [...(await stepOverhead(ctx.quick ? 8 : 30)), ...(await surgeryTime(ctx.quick ? 1 : 3))];
}
