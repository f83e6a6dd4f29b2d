/**
 * Optimizers over the fused in-place update kernels of src/ops/optim.ts (one dispatch per
 * parameter): `SGD`, `Adam`, `AdamW`, with torch.optim's semantics and defaults, parameter groups,
 * `zeroGrad()`, `step()` and a state dict for checkpoints.
 *
 * Parameters are held as `ParamRef`s (name + getter, from `module.parameterRefs()`), so loading a
 * state dict into the model, which installs new tensors, does not cut the optimizer off. Plain
 * tensors are accepted too (named by position, '0', '1', … as PyTorch numbers them).
 *
 * Extra per-parameter term: `setL1(name, λ)` (or the `extras` hook, which wins when it answers)
 * adds λ·sign(p) to that parameter's gradient inside the same fused update — Neural
 * Rejuvenation's sparsity sub-gradient on batch-norm scales (docs/method.md §2.2).
 */
import { adamUpdate, sgdUpdate } from '../ops/optim.js';
import { copy, zeros } from '../ops/creation.js';
import { keep, noGrad } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Module, type ParamRef } from './module.js';

type ParamSource = Module | readonly (Tensor | ParamRef)[];
export type ParamGroupSpec<H> = { params: readonly (Tensor | ParamRef)[] } & Partial<H>;
export type ParamGroup<H> = { params: ParamRef[] } & H;

/** What a checkpoint stores: JSON metadata plus named state tensors (`<param>.<buffer>`). */
export interface OptimizerState {
  meta: {
    kind: string;
    groups: Record<string, unknown>[];
    /** Per-parameter scalar state (e.g. Adam's step count). */
    scalars: Record<string, Record<string, number>>;
  };
  tensors: Record<string, Tensor>;
}

export type UpdateExtras = (paramName: string) => { l1?: number } | undefined;

function toRefs(where: string, src: readonly (Tensor | ParamRef)[], offset: number): ParamRef[] {
  return src.map((p, i) => {
    if (p instanceof Tensor) return { name: String(offset + i), get: () => p };
    if (p && typeof p.name === 'string' && typeof p.get === 'function') return p;
    fail(where, `parameter ${offset + i} must be a Tensor or a ParamRef, got ${typeof p}`);
  });
}

export abstract class Optimizer<H extends { lr: number }> {
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Optional per-parameter hook (a training plugin's `paramUpdateExtras`). */
  extras: UpdateExtras | null = null;
  protected readonly state = new Map<string, Record<string, Tensor>>();
  protected readonly scalars = new Map<string, Record<string, number>>();
  private readonly l1 = new Map<string, number>();

  protected constructor(
    readonly kind: string,
    params: ParamSource | readonly ParamGroupSpec<H>[],
    readonly defaults: H,
  ) {
    this.validate(defaults);
    const isGroups = Array.isArray(params) && params.length > 0 && !(params[0] instanceof Tensor) && 'params' in (params[0] as object);
    const groups: ParamGroupSpec<H>[] = params instanceof Module
      ? [{ params: params.parameterRefs() } as unknown as ParamGroupSpec<H>]
      : isGroups
        ? [...(params as readonly ParamGroupSpec<H>[])]
        : [{ params: params as readonly (Tensor | ParamRef)[] } as unknown as ParamGroupSpec<H>];
    const seen = new Set<string>();
    let offset = 0;
    for (const g of groups) {
      const { params: ps, ...hyper } = g;
      const refs = toRefs(kind, ps, offset);
      offset += refs.length;
      for (const r of refs) {
        if (seen.has(r.name)) fail(kind, `parameter '${r.name}' appears in more than one group`);
        seen.add(r.name);
      }
      const merged = { ...defaults, ...hyper } as H;
      this.validate(merged);
      this.paramGroups.push({ params: refs, ...merged });
    }
    if (seen.size === 0) fail(kind, 'got an empty parameter list');
  }

  protected abstract validate(h: H): void;
  protected abstract update(p: Tensor, g: Tensor, name: string, group: H, l1: number): void;
  /** Names of the per-parameter state tensors this optimizer keeps. */
  protected abstract stateNames(group: H): string[];

  /** λ for the sign(p) term of parameter `name` (0 removes it). */
  setL1(name: string, coefficient: number): void {
    if (!Number.isFinite(coefficient) || coefficient < 0) fail(`${this.kind}.setL1`, `coefficient must be finite and ≥ 0, got ${coefficient}`);
    if (!this.paramGroups.some((g) => g.params.some((r) => r.name === name))) fail(`${this.kind}.setL1`, `no parameter named '${name}'`);
    if (coefficient === 0) this.l1.delete(name);
    else this.l1.set(name, coefficient);
  }

  zeroGrad(): void {
    for (const g of this.paramGroups) for (const r of g.params) r.get().grad = null;
  }

  /** One update of every parameter that has a gradient (others are skipped, as PyTorch does). */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const r of group.params) {
          const p = r.get();
          if (!p.grad) continue;
          const l1 = this.extras?.(r.name)?.l1 ?? this.l1.get(r.name) ?? 0;
          this.update(p, p.grad, r.name, group, l1);
        }
      }
    });
  }

  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    for (const [name, bufs] of this.state) for (const [b, t] of Object.entries(bufs)) tensors[`${name}.${b}`] = t;
    const groups = this.paramGroups.map(({ params, ...h }) => ({ ...h, params: params.map((r) => r.name) }));
    return { meta: { kind: this.kind, groups, scalars: Object.fromEntries(this.scalars) }, tensors };
  }

  /** Restore hyper-parameters and state (copies; the caller keeps its tensors). Validates everything first. */
  loadStateDict(sd: OptimizerState): void {
    const where = `${this.kind}.loadStateDict`;
    if (sd?.meta?.kind !== this.kind) fail(where, `state is for optimizer '${sd?.meta?.kind}', this is '${this.kind}'`);
    if (sd.meta.groups.length !== this.paramGroups.length) fail(where, `state has ${sd.meta.groups.length} parameter groups, optimizer has ${this.paramGroups.length}`);
    const byName = new Map<string, { ref: ParamRef; group: number }>();
    this.paramGroups.forEach((g, gi) => g.params.forEach((ref) => byName.set(ref.name, { ref, group: gi })));
    sd.meta.groups.forEach((g, gi) => {
      const names = (g.params as string[]) ?? [];
      const own = this.paramGroups[gi].params.map((r) => r.name);
      if (names.length !== own.length || names.some((n, i) => n !== own[i])) {
        fail(where, `group ${gi} lists parameters [${names.slice(0, 5).join(', ')}…], optimizer has [${own.slice(0, 5).join(', ')}…]`);
      }
    });
    const hypers = sd.meta.groups.map((g) => {
      const { params: _p, ...h } = g;
      const merged = { ...this.defaults, ...(h as Partial<H>) } as H;
      this.validate(merged);
      return merged;
    });
    const incoming = new Map<string, Record<string, Tensor>>();
    for (const [key, t] of Object.entries(sd.tensors)) {
      const dot = key.lastIndexOf('.');
      const name = key.slice(0, dot), buf = key.slice(dot + 1);
      const p = byName.get(name);
      if (!p) fail(where, `state tensor '${key}' belongs to no parameter of this optimizer`);
      if (!this.stateNames(hypers[p.group]).includes(buf)) fail(where, `unexpected state '${buf}' for parameter '${name}'`);
      const shape = p.ref.get().shape;
      if (!(t instanceof Tensor) || t.isDisposed || !shapesEqual(t.shape, shape) || t.dtype !== 'float32') {
        fail(where, `state '${key}': expected ${fmtShape(shape)} float32, got ${t instanceof Tensor ? `${fmtShape(t.shape)} ${t.dtype}` : typeof t}`);
      }
      incoming.set(name, { ...incoming.get(name), [buf]: t });
    }
    this.disposeState();
    noGrad(() => {
      for (const [name, bufs] of incoming) {
        this.state.set(name, Object.fromEntries(Object.entries(bufs).map(([b, t]) => [b, keep(copy(t))])));
      }
    });
    for (const [name, s] of Object.entries(sd.meta.scalars ?? {})) this.scalars.set(name, { ...s });
    hypers.forEach((h, gi) => Object.assign(this.paramGroups[gi], h));
  }

  private disposeState(): void {
    for (const bufs of this.state.values()) for (const t of Object.values(bufs)) t.dispose();
    this.state.clear();
    this.scalars.clear();
  }

  /** Free the optimizer state (momentum buffers, moments). */
  dispose(): void {
    this.disposeState();
  }
}

const checkNumbers = (where: string, h: Record<string, unknown>, names: string[]) => {
  for (const n of names) {
    const v = h[n];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(where, `${n} must be a finite number ≥ 0, got ${String(v)}`);
  }
};

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/** torch.optim.SGD (momentum buffer starts as the first gradient, undampened). */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamSource | readonly ParamGroupSpec<SGDOptions>[], opts: Partial<SGDOptions> & { lr: number }) {
    super('SGD', params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...opts });
  }
  protected validate(h: SGDOptions): void {
    checkNumbers('SGD', h as unknown as Record<string, unknown>, ['lr', 'momentum', 'dampening', 'weightDecay']);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) fail('SGD', 'nesterov needs momentum > 0 and dampening 0');
  }
  protected stateNames(h: SGDOptions): string[] {
    return h.momentum !== 0 ? ['momentum_buffer'] : [];
  }
  protected update(p: Tensor, g: Tensor, name: string, h: SGDOptions, l1: number): void {
    const s = this.state.get(name);
    const buf = sgdUpdate(p, g, s?.momentum_buffer ?? null, { ...h, l1 });
    if (buf && !s) this.state.set(name, { momentum_buffer: buf });
  }
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

class AdamBase extends Optimizer<AdamOptions> {
  constructor(kind: string, private readonly decoupled: boolean, params: ParamSource | readonly ParamGroupSpec<AdamOptions>[], defaults: AdamOptions) {
    super(kind, params, defaults);
  }
  protected validate(h: AdamOptions): void {
    checkNumbers(this.kind, h as unknown as Record<string, unknown>, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
    if (!(h.beta1 < 1 && h.beta2 < 1)) fail(this.kind, `betas must lie in [0, 1), got ${h.beta1}, ${h.beta2}`);
  }
  protected stateNames(): string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }
  protected update(p: Tensor, g: Tensor, name: string, h: AdamOptions, l1: number): void {
    let s = this.state.get(name);
    if (!s) {
      // keep(): optimizer state outlives any tidy() the step runs in.
      s = { exp_avg: keep(zeros(p.shape)), exp_avg_sq: keep(zeros(p.shape)) };
      this.state.set(name, s);
    }
    const step = (this.scalars.get(name)?.step ?? 0) + 1;
    this.scalars.set(name, { step });
    adamUpdate(p, g, s.exp_avg, s.exp_avg_sq, { ...h, decoupled: this.decoupled, step, l1 });
  }
}

/** torch.optim.Adam (L2 weight decay added to the gradient). */
export class Adam extends AdamBase {
  constructor(params: ParamSource | readonly ParamGroupSpec<AdamOptions>[], opts: Partial<AdamOptions> & { lr?: number } = {}) {
    super('Adam', false, params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...opts });
  }
}

/** torch.optim.AdamW (decoupled weight decay, default 0.01). */
export class AdamW extends AdamBase {
  constructor(params: ParamSource | readonly ParamGroupSpec<AdamOptions>[], opts: Partial<AdamOptions> & { lr?: number } = {}) {
    super('AdamW', true, params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, ...opts });
  }
}

export { LRScheduler, MultiStepLR, CosineAnnealingLR, type SchedulerState } from './schedule.js';
