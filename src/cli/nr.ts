/**
 * Neural Rejuvenation on the command line: the `--nr…` options of `rejuv train`, the plugin they make,
 * the NR section of `rejuv inspect` and the NR variant of `rejuv demo` (src/cli/extensions.ts).
 */
import { registerExtension } from './extensions.js';
import type { ParsedOptions } from './options.js';
import type { ZooModel } from '../nn/graph.js';
import { zeros } from '../ops/creation.js';
import { noGrad, tidy } from '../tensor/engine.js';
import type { TrainConfig } from '../train/config.js';
import { GammaMonitor } from '../rejuv/gamma-monitor.js';
import { planWidths, utilization } from '../rejuv/plan.js';
import { DEFAULT_MONITOR_LIMIT, NeuralRejuvenation, type NROptions, type NRState, type SurgeryRecord, type UnreachedRecord } from '../rejuv/nr.js';
import { formatSplitSizes, splitSizes, type SplitSizes } from '../rejuv/export.js';

/** NR options from the parsed `--nr…` values (as stored in the run config). */
export function nrOptionsFrom(p: Record<string, unknown>, seed = 0): NROptions {
  const num = (k: string) => (p[k] === undefined ? undefined : Number(p[k]));
  return {
    target: num('nr-target'),
    lambda: num('nr-lambda'),
    adaptive: p['nr-adaptive'] ? { lambda0: num('nr-lambda0'), step: num('nr-lambda-step'), delta: num('nr-delta') } : false,
    scheme: (p['nr-scheme'] as 'a' | 'b' | undefined) ?? 'a',
    rescale: Boolean(p['nr-rescale']),
    resource: (p['nr-resource'] as 'params' | 'flops' | undefined) ?? 'params',
    integerRate: Boolean(p['nr-integer-rate']),
    checkEverySteps: num('nr-check-every') || undefined,
    rounds: num('nr-rounds'),
    maxMonitorEpochs: num('nr-max-monitor-epochs'),
    monitorLimit: num('nr-monitor-limit'),
    seed,
  };
}

/** Per-layer alive/total/fixed, utilization in both modes and the widths a rejuvenation would produce now. */
export interface ModelInspection { layers: { name: string; alive: number; total: number; fixed: boolean; plannedWidth: number }[]; utilization: { params: number; flops: number }; expansionRate: number }

/** Per-layer alive/total/fixed, utilization in both modes and the widths a rejuvenation would produce now (either backend). */
export async function inspectModel(model: ZooModel): Promise<ModelInspection> {
  const o = model.options;
  model.eval();
  noGrad(() => tidy(() => model.forward(zeros([1, o.inChannels, o.inputSize, o.inputSize]))));
  const monitor = new GammaMonitor(model);
  const mg = monitor.graph;
  const alive = await monitor.aliveCounts();
  monitor.dispose();
  const plan = planWidths(mg.graph, alive);
  return {
    layers: mg.graph.units.map((u, l) => ({ name: u.name, alive: alive[l], total: u.out, fixed: u.fixed, plannedWidth: plan.widths[l] })),
    utilization: { params: utilization(mg.graph, alive, 'params'), flops: utilization(mg.graph, alive, 'flops') },
    expansionRate: plan.rate,
  };
}

const nrEnabled = (cfg: TrainConfig): boolean => Boolean(cfg.plugin?.nr);

/** `rejuv inspect`'s NR section as a table: one row per NR unit, then utilization and the surgery. */
export function formatInspectNR(info: ModelInspection & { surgery?: SurgeryRecord; targetNotReached?: UnreachedRecord; split?: SplitSizes | string }): string[] {
  const head = ['layer', 'alive', 'total', 'fixed', 'planned width'];
  const rows = info.layers.map((l) => [l.name, String(l.alive), String(l.total), l.fixed ? 'yes' : '', String(l.plannedWidth)]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  const out = [
    'Neural Rejuvenation (dead rule of docs/method.md §3 on this checkpoint’s γ):',
    `  ${fmt(head)}`, `  ${w.map((n) => '-'.repeat(n)).join('  ')}`, ...rows.map((r) => `  ${fmt(r)}`),
    `  utilization ${info.utilization.params.toFixed(3)} of the conv parameters, ${info.utilization.flops.toFixed(3)} of the conv FLOPs; a rejuvenation now would expand by ${info.expansionRate.toFixed(3)} to the planned widths`,
  ];
  const s = info.surgery;
  if (s) out.push(`  surgery after epoch ${s.epoch}${s.forced ? ' (forced)' : ''} at u ${s.utilization.toFixed(3)}: widths ${s.widthsBefore.join(',')} → ${s.widths.join(',')} (rate ${s.rate.toFixed(3)}), conv parameters ${s.denseParams} dense / ${s.effectiveParams} effective`);
  const t = info.targetNotReached;
  if (t) out.push(`  target not reached: u = ${t.utilization.toFixed(3)} > T = ${t.target} after ${t.monitorEpochs} monitoring epochs; no surgery`);
  const z = info.split;
  if (typeof z === 'string') out.push(`  split for deployment: ${z}`);
  else if (z) out.push('  split for deployment (rejuv export --split): parameters and multiply-adds per image', ...formatSplitSizes(z).map((l) => `    ${l}`));
  return out;
}

registerExtension({
  name: 'nr',
  enabledBy: 'nr',
  options: [
    { name: 'nr', type: 'boolean', help: 'Neural Rejuvenation: L1 on BN scales, monitor utilization, rejuvenate once it is ≤ the target' },
    { name: 'nr-target', type: 'number', default: 0.25, help: 'utilization threshold T (0.25 CIFAR recipe, 0.5 ImageNet); ≥ 0.999 disables NR' },
    { name: 'nr-lambda', type: 'number', default: 1.5e-4, help: 'constant sparsity strength λ (per step)' },
    { name: 'nr-adaptive', type: 'boolean', help: 'adaptive λ: start at --nr-lambda0, +--nr-lambda-step whenever utilization fell by < --nr-delta' },
    { name: 'nr-lambda0', type: 'number', default: 0, help: 'adaptive λ: initial value' },
    { name: 'nr-lambda-step', type: 'number', default: 5e-5, help: 'adaptive λ: increment Δλ' },
    { name: 'nr-delta', type: 'number', default: 0.01, help: 'adaptive λ: utilization drop δ below which λ grows' },
    { name: 'nr-scheme', type: 'string', default: 'a', choices: ['a', 'b'], help: 'after surgery: a = cross connections removed (two heads), b = cross-attention' },
    { name: 'nr-rescale', type: 'boolean', help: 'neural rescaling of survived neurons to |γ| ≥ 0.5 right after surgery (docs/method.md §9)' },
    { name: 'nr-resource', type: 'string', default: 'params', choices: ['params', 'flops'], help: 'resource whose utilization is monitored and restored' },
    { name: 'nr-integer-rate', type: 'boolean', help: 'floor the expansion rate to an integer (the CIFAR DenseNet)' },
    { name: 'nr-check-every', type: 'int', help: 'also check utilization every N steps (λ control; surgery at the epoch end)' },
    { name: 'nr-rounds', type: 'int', default: 1, help: 'rejuvenation rounds (the paper: 1)' },
    { name: 'nr-max-monitor-epochs', type: 'int', help: 'budget guard (not in the paper): rejuvenate after this many monitoring epochs even above the target' },
    { name: 'nr-monitor-limit', type: 'int', metavar: 'N', help: `without --nr-max-monitor-epochs: after N monitoring epochs (default ${DEFAULT_MONITOR_LIMIT}) with utilization still above the target, monitoring ends with no surgery (L1 stops, the nominal schedule finishes, the run reports "target not reached")` },
  ],
  makePlugin(model, cfg) {
    if (!nrEnabled(cfg)) return null;
    return new NeuralRejuvenation(model, nrOptionsFrom(cfg.plugin!, cfg.seed)).plugin();
  },
  async inspect(ckpt, model) {
    const info = await inspectModel(model);
    const state = ckpt.hasMeta('plugin') ? ckpt.meta<Partial<NRState>>('plugin') : null;
    // After a Scheme A surgery: the masked network's totals and FLOPs beside its split's (or why it does not split).
    let split: SplitSizes | string | undefined;
    if (state?.split) {
      const scheme = ckpt.meta<{ config: TrainConfig }>('run').config.plugin?.['nr-scheme'] ?? 'a';
      try {
        split = scheme === 'b' ? 'none (Scheme B: the cross-attention blocks are trained, S and R are not independent)' : splitSizes(model, state.split);
      } catch (e) {
        split = `none (${(e as Error).message})`;
      }
    }
    return { ...info, ...(state?.surgery ? { surgery: state.surgery } : {}), ...(state?.unreached ? { targetNotReached: state.unreached } : {}), ...(split ? { split } : {}) };
  },
  formatInspect(info) {
    return formatInspectNR(info as unknown as Parameters<typeof formatInspectNR>[0]);
  },
  // A constant λ and a cap on monitoring epochs (the demo's regime, src/cli/demo-regime.json) keep
  // `npm start` within its 5-minute budget on a 2-core CPU.
  demo: {
    label: 'NR',
    options: (k) => ({ nr: true, 'nr-lambda': k.lambda, 'nr-target': 0.25, 'nr-max-monitor-epochs': k.monitorEpochs }) as ParsedOptions,
  },
});
