/**
 * `Module`: a tree of named parameters, buffers and children, with PyTorch's naming. A module's
 * state-dict keys are its own parameters, then its own buffers (registration order), then each
 * child's keys under `childName.` — exactly the order and names of `torch.nn.Module.state_dict()`.
 *
 * Ownership: a module owns its parameter and buffer tensors (kept out of every tidy scope).
 * Replacing one disposes the old tensor; `dispose()` frees them all. Because the engine has no
 * in-place copy, `loadStateDict` installs copies as new tensors: optimizers therefore refer to
 * parameters through `ParamRef`s (name + getter), never by holding the tensor itself.
 */
import { copy } from '../ops/creation.js';
import { keep, noGrad } from '../tensor/engine.js';
import { fail, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A live handle on one parameter: `get()` returns the module's current tensor. */
export interface ParamRef {
  readonly name: string;
  get(): Tensor;
}

export type StateDict = Record<string, Tensor>;

export interface LoadOptions {
  /** Require the keys to match exactly (default true, as in PyTorch). */
  strict?: boolean;
}

export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** The module's class name, for error messages and `toString`. */
  get kind(): string {
    return this.constructor.name;
  }

  // --- registration ------------------------------------------------------------------------------

  /** Register (or replace) a parameter. `null` declares an absent one (as `bias=None` in PyTorch). */
  registerParameter(name: string, t: Tensor | null): void {
    this.checkName(name, this._buffers, 'buffer');
    this.install(this._params, name, t, true);
  }

  registerBuffer(name: string, t: Tensor | null): void {
    this.checkName(name, this._params, 'parameter');
    this.install(this._buffers, name, t, false);
  }

  registerModule<M extends Module>(name: string, m: M): M {
    if (name.includes('.') || name === '') fail(this.kind, `child name '${name}' must be non-empty without '.'`);
    const old = this._children.get(name);
    if (old && old !== m) old.dispose();
    this._children.set(name, m);
    return m;
  }

  /**
   * Remove parameter `name` from this module without disposing it and return it: the caller owns it
   * now (a module that another takes the weight over from, before it is disposed).
   */
  releaseParameter(name: string): Tensor | null {
    if (!this._params.has(name)) fail(this.kind, `has no parameter '${name}'`);
    const t = this._params.get(name) ?? null;
    this._params.delete(name);
    return t;
  }

  /**
   * Swap the registered child `name` for `m` and return the old one, not disposed: the caller owns it
   * (it may hand tensors over to `m` first; see ZooModel.replaceUnitConv).
   */
  replaceChild(name: string, m: Module): Module {
    const old = this.child(name);
    this._children.set(name, m);
    return old;
  }

  private checkName(name: string, other: Map<string, unknown>, what: string): void {
    if (name.includes('.') || name === '') fail(this.kind, `name '${name}' must be non-empty without '.'`);
    if (other.has(name)) fail(this.kind, `'${name}' is already registered as a ${what}`);
  }

  private install(map: Map<string, Tensor | null>, name: string, t: Tensor | null, isParam: boolean): void {
    const old = map.get(name);
    if (t !== null) {
      if (t.isDisposed) fail(this.kind, `cannot register disposed tensor as '${name}'`);
      keep(t);
      if (isParam) {
        if (t.dtype !== 'float32') fail(this.kind, `parameter '${name}' must be float32, got ${t.dtype}`);
        // A parameter is a leaf: forget how it was computed, so gradients stop at it.
        t.node = null;
        t.requiresGrad = true;
      }
    }
    if (old && old !== t) {
      old.grad = null;
      old.dispose();
    }
    map.set(name, t);
  }

  /** The named parameter of this module (not its children); throws if absent. */
  param(name: string): Tensor {
    const t = this._params.get(name);
    if (!t) fail(this.kind, `has no parameter '${name}'${this._params.has(name) ? ' (it is None)' : ''}`);
    return t;
  }
  /** The named parameter, or null when declared absent. */
  paramOrNull(name: string): Tensor | null {
    if (!this._params.has(name)) fail(this.kind, `has no parameter '${name}'`);
    return this._params.get(name) ?? null;
  }
  buffer(name: string): Tensor {
    const t = this._buffers.get(name);
    if (!t) fail(this.kind, `has no buffer '${name}'`);
    return t;
  }
  child<M extends Module = Module>(name: string): M {
    const m = this._children.get(name);
    if (!m) fail(this.kind, `has no child module '${name}'`);
    return m as M;
  }

  // --- traversal ---------------------------------------------------------------------------------

  namedChildren(): [string, Module][] {
    return [...this._children];
  }

  /** Every module of the tree with its dotted path ('' for this one), depth first, as PyTorch. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this._children) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Subclasses refresh lazily materialized buffers here (BatchNorm's batch counter). */
  protected syncBuffers(): void {}

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      for (const [n, t] of m._params) if (t) out.push([path ? `${path}.${n}` : n, t]);
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Live handles on every parameter: they follow replacements (`loadStateDict`, surgery). */
  parameterRefs(): ParamRef[] {
    const out: ParamRef[] = [];
    for (const [path, m] of this.namedModules()) {
      for (const [n, t] of m._params) {
        if (t) out.push({ name: path ? `${path}.${n}` : n, get: () => m.param(n) });
      }
    }
    return out;
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      m.syncBuffers();
      for (const [n, t] of m._buffers) if (t) out.push([path ? `${path}.${n}` : n, t]);
    }
    return out;
  }

  /** Number of parameter elements (PyTorch's `sum(p.numel() for p in parameters())`). */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  // --- modes -------------------------------------------------------------------------------------

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  // --- state dict --------------------------------------------------------------------------------

  /**
   * Parameters and buffers by PyTorch name, in PyTorch's order. The tensors are the module's own
   * (not copies): read or copy them, never dispose them.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [path, m] of this.namedModules()) {
      m.syncBuffers();
      const p = path ? `${path}.` : '';
      for (const [n, t] of m._params) if (t) out[p + n] = t;
      for (const [n, t] of m._buffers) if (t) out[p + n] = t;
    }
    return out;
  }

  /**
   * Copy values from `sd` (the caller keeps ownership of its tensors). Checks every key, shape and
   * dtype first and changes nothing if any is wrong.
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, opts: LoadOptions = {}): void {
    const strict = opts.strict ?? true;
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const slots = new Map<string, { m: Module; name: string; isParam: boolean; cur: Tensor }>();
    for (const [path, m] of this.namedModules()) {
      m.syncBuffers();
      const p = path ? `${path}.` : '';
      for (const [n, t] of m._params) if (t) slots.set(p + n, { m, name: n, isParam: true, cur: t });
      for (const [n, t] of m._buffers) if (t) slots.set(p + n, { m, name: n, isParam: false, cur: t });
    }
    const problems: string[] = [];
    const missing = [...slots.keys()].filter((k) => !src.has(k));
    const unexpected = [...src.keys()].filter((k) => !slots.has(k));
    if (strict && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    for (const [k, t] of src) {
      const s = slots.get(k);
      if (!s) continue;
      if (!(t instanceof Tensor) || t.isDisposed) problems.push(`'${k}' is not a live Tensor`);
      else if (!shapesEqual(t.shape, s.cur.shape) || t.dtype !== s.cur.dtype) {
        problems.push(`'${k}': expected ${fmtShape(s.cur.shape)} ${s.cur.dtype}, got ${fmtShape(t.shape)} ${t.dtype}`);
      }
    }
    if (problems.length) fail(`${this.kind}.loadStateDict`, problems.join('; '));
    noGrad(() => {
      for (const [k, t] of src) {
        const s = slots.get(k);
        if (!s) continue;
        const c = copy(t);
        if (s.isParam) s.m.registerParameter(s.name, c);
        else s.m.registerBuffer(s.name, c);
        s.m.afterLoad(s.name);
      }
    });
  }

  /** Hook for modules that mirror a buffer on the host (BatchNorm's batch counter). */
  protected afterLoad(_name: string): void {}

  // --- lifetime ----------------------------------------------------------------------------------

  /** Free every parameter, gradient and buffer of the tree. The module is unusable afterwards. */
  dispose(): void {
    for (const [, m] of this.namedModules()) m.disposeOwn();
  }

  /** Free what this module itself owns (subclasses add tensors they hold outside the maps). */
  protected disposeOwn(): void {
    for (const t of this._params.values()) {
      if (t) {
        t.grad = null;
        t.dispose();
      }
    }
    for (const t of this._buffers.values()) t?.dispose();
  }

  /** Drop every parameter's gradient. */
  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }

  toString(): string {
    return this.kind;
  }
}
