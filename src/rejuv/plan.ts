/**
 * Neural Rejuvenation host logic (pure TypeScript): resource and utilization from alive counts
 * (docs/method.md §4), the expansion rate and the widths a rejuvenation produces (§6).
 */
import { fail } from '../core/errors.js';
import { sourceAlive, sourceWidth, type ChannelGraph } from './channels.js';

export type ResourceMode = 'params' | 'flops';

export interface Resource {
  live: number;
  all: number;
}

/**
 * R_live and R_all over the conv weights of NR units: a weight counts when both its output neuron and
 * its input channel are alive; FLOPs mode multiplies each term by the unit's output area.
 */
export function resource(g: ChannelGraph, alive: readonly number[], mode: ResourceMode = 'params', widths?: readonly number[]): Resource {
  if (alive.length !== g.units.length) fail('nr.resource', `expected ${g.units.length} alive counts, got ${alive.length}`);
  const w = widths ?? g.units.map((u) => u.out);
  let live = 0, all = 0;
  g.units.forEach((u, l) => {
    const f = u.kernel * (mode === 'flops' ? (u.outArea ?? 1) : 1);
    all += w[l] * sourceWidth(u.input, w) * f;
    // A unit with no alive output contributes nothing, whatever its input.
    live += alive[l] === 0 ? 0 : alive[l] * sourceAlive(u.input, alive, w) * f;
  });
  return { live, all };
}

export function utilization(g: ChannelGraph, alive: readonly number[], mode: ResourceMode = 'params', widths?: readonly number[]): number {
  const r = resource(g, alive, mode, widths);
  return r.all === 0 ? 1 : r.live / r.all;
}

/** r = sqrt(R_all / R_live); `integer` floors it (the CIFAR DenseNet, method §6.1). */
export function expansionRate(res: Resource, integer = false): number {
  if (res.live <= 0) fail('nr.rejuvenate', `nothing is alive (R_live = ${res.live}): no survived network to expand`);
  const r = Math.sqrt(res.all / res.live);
  return integer ? Math.floor(r) : r;
}

export interface WidthPlan {
  rate: number;
  /** Alive (survived) neurons per unit: A_l. */
  alive: number[];
  /** New widths C'_l = ⌊A_l · r⌋. */
  widths: number[];
  resource: Resource;
}

/** The widths a rejuvenation would produce now (fixed units count as fully alive, method §6.2). */
export function planWidths(g: ChannelGraph, alive: readonly number[], opts: { mode?: ResourceMode; integerRate?: boolean } = {}): WidthPlan {
  const res = resource(g, alive, opts.mode ?? 'params');
  const rate = expansionRate(res, opts.integerRate ?? false);
  // Float products like 10·2.0000000001 must not lose a channel to representation error.
  const widths = alive.map((a) => Math.floor(a * rate + 1e-9));
  return { rate, alive: [...alive], widths, resource: res };
}

/**
 * Effective conv parameters of the mixed network under Scheme A: the two cross blocks are zero and
 * never used, so each unit counts S→S plus R→R (the stem's R rows read the whole image).
 */
export function effectiveParams(g: ChannelGraph, survived: readonly number[], widths: readonly number[], survivedIn: readonly number[], splitIn: readonly boolean[]): number {
  let n = 0;
  g.units.forEach((u, l) => {
    const cin = sourceWidth(u.input, widths);
    const aOut = survived[l], rOut = widths[l] - aOut;
    if (!splitIn[l]) n += widths[l] * cin * u.kernel;
    else n += (aOut * survivedIn[l] + rOut * (cin - survivedIn[l])) * u.kernel;
  });
  return n;
}
