/**
 * The dispatch profiler (`REJUV_PROFILE=1`, `rejuv profile`, `rj.profile*`): device time, host time and
 * work per kernel (pipeline key) and per op (the registry's kernel name), over labelled sections
 * ('train' steps, 'eval' batches, ...).
 *
 * Device time, two modes:
 * - 'timestamp' (adapter has `timestamp-query`): every dispatch runs in its own compute pass with
 *   begin/end timestamp writes; each batch resolves its query set into a mappable buffer after submit.
 *   The time between one pass's end and the next one's begin (buffer/texture copies recorded between
 *   dispatches, pass switches) is reported as its own row.
 * - 'fenced' (no timestamps): every dispatch is submitted alone and its duration is taken as
 *   done(i) − max(done(i−1), submitted(i)), from `onSubmittedWorkDone`. The completion callbacks run on
 *   the JS event loop, so a dispatch may be charged for host work that delayed the callback: the mode
 *   is an upper bound and says so in its header.
 * Host time (encoding a dispatch: uniforms, bind group, pass commands; pool acquire/release) is counted
 * apart, per kernel. Profiling changes the batching (a pass per dispatch, or a submit per dispatch), so
 * a profiled step is slower than an unprofiled one; shares are what the profile is for.
 */
export type ProfileMode = 'timestamp' | 'fenced';

export interface ProfileRow {
  section: string;
  key: string;
  op: string;
  count: number;
  deviceMs: number;
  hostMs: number;
  flops: number;
  bytes: number;
}

export interface ProfileTable {
  mode: ProfileMode;
  section: string;
  /** Steps marked in this section (0: totals only). */
  steps: number;
  /** Wall time between the section's first and last marks, ms. */
  wallMs: number;
  deviceMs: number;
  hostMs: number;
  poolMs: number;
  rows: { key: string; op: string; perStep: number; ms: number; share: number; hostMs: number; gflops: number | null; gbps: number }[];
  ops: { op: string; dispatches: number; ms: number; share: number; gflops: number | null }[];
}

export class Profiler {
  private readonly rows = new Map<string, ProfileRow>();
  private readonly steps = new Map<string, number>();
  private readonly wall = new Map<string, { first: number; last: number }>();
  private readonly pool = new Map<string, number>();
  section = 'run';
  op = '(direct)';
  /** In-flight readbacks of timestamps (awaited before any read returns). */
  pending: Promise<void>[] = [];
  /**
   * Reads started only by `settle`: a pending map makes dawn.node spin the main thread until it
   * resolves, which on a CPU adapter slows the very work being timed (src/kernels/webgpu/pacer.ts).
   */
  later: (() => Promise<void>)[] = [];

  private readonly started = performance.now();

  constructor(readonly mode: ProfileMode) {}

  row(key: string, flops: number, bytes: number): ProfileRow {
    const id = `${this.section}\u0000${key}\u0000${this.op}`;
    let r = this.rows.get(id);
    if (!r) this.rows.set(id, (r = { section: this.section, key, op: this.op, count: 0, deviceMs: 0, hostMs: 0, flops: 0, bytes: 0 }));
    r.count++;
    r.flops += flops;
    r.bytes += bytes;
    return r;
  }

  /** Time charged to the gaps between dispatches of a batch (timestamp mode). */
  gap(ms: number): void {
    const id = `${this.section}\u0000(between dispatches)\u0000(copies, pass switches)`;
    let r = this.rows.get(id);
    if (!r) this.rows.set(id, (r = { section: this.section, key: '(between dispatches)', op: '(copies, pass switches)', count: 0, deviceMs: 0, hostMs: 0, flops: 0, bytes: 0 }));
    r.deviceMs += ms;
  }

  addPool(ms: number): void {
    this.pool.set(this.section, (this.pool.get(this.section) ?? 0) + ms);
  }

  /** Start counting into `section` (e.g. 'train', 'eval'). */
  enter(section: string): void {
    this.section = section;
    if (!this.wall.has(section)) this.wall.set(section, { first: performance.now(), last: 0 });
  }

  /** One step of the current section is complete (its wall time runs from the first mark to the last). */
  markStep(): void {
    const now = performance.now();
    this.steps.set(this.section, (this.steps.get(this.section) ?? 0) + 1);
    const w = this.wall.get(this.section);
    if (w) w.last = now;
    else this.wall.set(this.section, { first: this.started, last: now });
  }

  /** Forget everything (after warm-up). */
  reset(): void {
    this.rows.clear();
    this.steps.clear();
    this.wall.clear();
    this.pool.clear();
    this.enter(this.section);
  }

  async settle(): Promise<void> {
    while (this.pending.length || this.later.length) {
      this.pending.push(...this.later.splice(0).map((f) => f()));
      await Promise.all(this.pending.splice(0));
    }
  }

  sections(): string[] {
    return [...new Set([...this.rows.values()].map((r) => r.section))];
  }

  table(section: string): ProfileTable {
    const rows = [...this.rows.values()].filter((r) => r.section === section);
    const steps = this.steps.get(section) ?? 0;
    // Steps are marked at their end; the section's wall time runs from entering it to the last mark.
    const w = this.wall.get(section);
    const per = steps > 0 ? steps : 1;
    const deviceMs = rows.reduce((s, r) => s + r.deviceMs, 0);
    const hostMs = rows.reduce((s, r) => s + r.hostMs, 0);
    const out = rows
      .map((r) => ({
        key: r.key, op: r.op, perStep: r.count / per, ms: r.deviceMs / per, share: deviceMs > 0 ? r.deviceMs / deviceMs : 0, hostMs: r.hostMs / per,
        gflops: r.flops > 0 && r.deviceMs > 0 ? r.flops / r.deviceMs / 1e6 : null, gbps: r.deviceMs > 0 ? r.bytes / r.deviceMs / 1e6 : 0,
      }))
      .sort((a, b) => b.ms - a.ms);
    const byOp = new Map<string, { dispatches: number; ms: number; flops: number }>();
    for (const r of rows) {
      const o = byOp.get(r.op) ?? { dispatches: 0, ms: 0, flops: 0 };
      o.dispatches += r.count;
      o.ms += r.deviceMs;
      o.flops += r.flops;
      byOp.set(r.op, o);
    }
    const ops = [...byOp.entries()]
      .map(([op, o]) => ({ op, dispatches: o.dispatches / per, ms: o.ms / per, share: deviceMs > 0 ? o.ms / deviceMs : 0, gflops: o.flops > 0 && o.ms > 0 ? o.flops / o.ms / 1e6 : null }))
      .sort((a, b) => b.ms - a.ms);
    return {
      mode: this.mode, section, steps, wallMs: w && steps > 0 ? (w.last - w.first) / steps : 0,
      deviceMs: deviceMs / per, hostMs: hostMs / per, poolMs: (this.pool.get(section) ?? 0) / per, rows: out, ops,
    };
  }

  /** Human-readable tables, one block per section. */
  format(): string {
    const lines: string[] = [];
    const modeLine = this.mode === 'timestamp'
      ? 'device time from timestamp queries (one compute pass per dispatch)'
      : 'device time from fenced submits (one submit per dispatch; completion seen on the JS event loop, so an upper bound)';
    for (const s of this.sections()) {
      const t = this.table(s);
      const unit = t.steps > 0 ? 'per step' : 'in total';
      lines.push(`profile [${s}] ${t.steps > 0 ? `${t.steps} steps` : 'no steps marked'}: ${modeLine}`);
      lines.push(`  ${unit}: device ${t.deviceMs.toFixed(2)} ms, host encoding ${t.hostMs.toFixed(2)} ms, pool ${t.poolMs.toFixed(2)} ms${t.wallMs ? `, wall ${t.wallMs.toFixed(2)} ms (profiled)` : ''}`);
      lines.push(fmtTable(['kernel (pipeline key)', 'op', 'disp', 'ms', 'share', 'host ms', 'GFLOP/s', 'GB/s'],
        t.rows.map((r) => [r.key, r.op, fmtN(r.perStep), r.ms.toFixed(3), pct(r.share), r.hostMs.toFixed(3), r.gflops === null ? '' : r.gflops.toFixed(1), r.gbps ? r.gbps.toFixed(1) : ''])));
      lines.push(fmtTable(['op', 'disp', 'ms', 'share', 'GFLOP/s'], t.ops.map((o) => [o.op, fmtN(o.dispatches), o.ms.toFixed(3), pct(o.share), o.gflops === null ? '' : o.gflops.toFixed(1)])));
    }
    return lines.join('\n');
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fmtN = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

function fmtTable(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/** The profiler `REJUV_PROFILE=1` asks for (null when profiling is off). */
export const profileRequested = (): boolean => typeof process !== 'undefined' && process.env?.REJUV_PROFILE === '1';
