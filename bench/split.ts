/**
 * The split for deployment (src/rejuv/export.ts): inference images/s of a rejuvenated Scheme A network
 * run as it trains (one dense masked network, z_S + z_R from two classifier passes) against its split
 * (two narrow ordinary networks S and R, S(x) + R(x)), eval mode, one readback per batch. Per model:
 * about half of every unit's neurons killed (γ = β = 0) before the surgery, so utilization is near
 * the CIFAR recipe's 0.25 and the expansion rate near 2. The two run round-robin so a busy shared
 * machine slows both alike; medians. The largest logit difference of the pair is reported beside.
 *
 *   npm run bench -- split   [--quick]
 */
import * as rj from '../src/index.js';
import type { ZooModel } from '../src/nn/graph.js';
import { createModel } from '../src/nn/models/index.js';
import { maskedLogits, pairLogits, splitNetwork } from '../src/rejuv/export.js';
import { NeuralRejuvenation } from '../src/rejuv/nr.js';
import type { BenchContext } from './main.js';
import { timeInterleaved, type Figure } from './util.js';

const MODELS = [
  { arch: 'vgg19', width: 0.5 },
  { arch: 'resnet20', width: 1 },
] as const;
const BATCH = 32;
const IMAGE = [3, 32, 32] as const;

/** γ = β = 0 on a fixed half of every non-fixed unit's channels (channel 0 always lives). */
function killHalf(model: ZooModel): void {
  for (const [l, u] of model.convBnUnits().entries()) {
    if (u.fixed) continue;
    const C = u.conv.outChannels;
    const dead = (c: number) => c > 0 && (c * 7 + l * 3) % 10 >= 5;
    u.bn.registerParameter('weight', rj.tensor(Float32Array.from({ length: C }, (_, c) => (dead(c) ? 0 : 0.5))));
    u.bn.registerParameter('bias', rj.tensor(Float32Array.from({ length: C }, (_, c) => (dead(c) ? 0 : 0.01))));
  }
}

async function one(arch: string, width: number, runs: number): Promise<Figure[]> {
  const model = createModel(arch, { widthMultiplier: width, inChannels: IMAGE[0], inputSize: IMAGE[1], numClasses: 10 });
  killHalf(model);
  const nr = new NeuralRejuvenation(model, { target: 0.99, seed: 1 });
  const res = await nr.rejuvenate();
  const masked = nr.model.eval(), split = nr.split!;
  const pair = await splitNetwork(masked, split);
  const x = rj.randn([BATCH, ...IMAGE], { seed: 7 });
  const run = (f: () => rj.Tensor) => async () => {
    const z = rj.noGrad(() => rj.tidy(f));
    await rj.readAll([z]);
    z.dispose();
  };
  const t = await timeInterleaved({
    masked: run(() => maskedLogits(masked, split, x)),
    pair: run(() => pairLogits(pair, x)),
  }, { warmup: 2, runs });
  const [a, b] = rj.noGrad(() => rj.tidy(() => [maskedLogits(masked, split, x), pairLogits(pair, x)]));
  const [za, zb] = await rj.readAll([a, b]);
  const diff = Math.max(...Array.from(za, (v, i) => Math.abs(v - zb[i])));
  a.dispose();
  b.dispose();
  const z = pair.sizes;
  const name = `${arch}×${width} ${IMAGE.join('×')} batch ${BATCH}`;
  const ips = (ms: number) => (BATCH * 1000) / ms;
  const figures: Figure[] = [
    { name: `${name}: masked network (dense, z_S + z_R)`, value: ips(t.masked.ms), unit: 'img/s', ms: t.masked.ms, samples: t.masked.samples, cpuMs: t.masked.cpuMs, params: z.masked.total, multAdds: z.masked.flops, note: `${(z.masked.total / 1e6).toFixed(2)} M params, ${(z.masked.flops / 1e6).toFixed(1)} M mult-adds/img` },
    { name: `${name}: split S + R`, value: ips(t.pair.ms), unit: 'img/s', ms: t.pair.ms, samples: t.pair.samples, cpuMs: t.pair.cpuMs, params: z.pair.total, multAdds: z.pair.flops, note: `${(z.pair.total / 1e6).toFixed(2)} M params, ${(z.pair.flops / 1e6).toFixed(1)} M mult-adds/img (rate ${res.plan.rate.toFixed(2)})` },
    { name: `${name}: split / masked`, value: t.masked.ms / t.pair.ms, unit: '×', cpuRatio: t.masked.cpuMs / t.pair.cpuMs, note: `CPU-time ratio ${(t.masked.cpuMs / t.pair.cpuMs).toFixed(2)}×; mult-adds ratio ${(z.masked.flops / z.pair.flops).toFixed(2)}×; max |logit difference| ${diff.toExponential(1)}` },
  ];
  x.dispose();
  pair.s.dispose();
  pair.r.dispose();
  masked.dispose();
  nr.dispose();
  return figures;
}

export async function run(ctx: BenchContext): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const m of MODELS) out.push(...(await one(m.arch, m.width, ctx.quick ? 3 : 9)));
  return out;
}
