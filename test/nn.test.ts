/**
 * Modules: state-dict names, order, shapes and dtypes against PyTorch's (test/goldens/nn.json from
 * scripts/goldens/nn.py over scripts/torch_models.py), loading and its errors, ownership.
 * Structure only: runs on the reference backend (no kernels beyond fill/random/copy/add).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rj from '../src/index.js';
import { AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, createModel, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/index.js';
import { engine } from '../src/tensor/engine.js';
import { backendFor } from './helpers/backends.js';

interface SdFixture {
  arch: string;
  options: { widthMultiplier: number; inChannels: number; numClasses: number };
  widths: Record<string, number>;
  keys: [string, number[], string][];
  numParameters: number;
}
const golden = JSON.parse(readFileSync(new URL('./goldens/nn.json', import.meta.url), 'utf8')) as { stateDicts: SdFixture[] };

let prev: typeof engine.backend = null;
beforeAll(async () => {
  prev = engine.backend;
  engine.backend = await backendFor('cpu');
});
afterAll(() => {
  engine.backend = prev;
});

describe('state dict names match PyTorch', () => {
  for (const f of golden.stateDicts) {
    it(`${f.arch} ×${f.options.widthMultiplier}${Object.keys(f.widths).length ? ' (explicit widths)' : ''}`, () => {
      const m = createModel(f.arch, { ...f.options, widths: f.widths });
      const sd = m.stateDict();
      const ours = Object.entries(sd).map(([k, t]) => [k, [...t.shape], t.dtype === 'int32' ? 'int64' : t.dtype]);
      // PyTorch's counter is int64; ours is int32 (WebGPU has no 64-bit integers).
      expect(ours).toEqual(f.keys);
      expect(m.numParameters()).toBe(f.numParameters);
      expect(m.namedParameters().map(([k]) => k)).toEqual(f.keys.filter(([k]) => !/running_|num_batches/.test(k)).map(([k]) => k));
      m.dispose();
    });
  }
});

describe('layers and initializers', () => {
  it('Linear is x·Wᵀ + b; parameter-free layers keep their contract', async () => {
    const lin = new Linear(3, 2);
    lin.registerParameter('weight', rj.tensor([[1, 2, 3], [4, 5, 6]]));
    lin.registerParameter('bias', rj.tensor([10, 20]));
    const x = rj.tensor([[1, 0, -1], [2, 1, 0]]);
    expect(Array.from(await lin.forward(x).toArray())).toEqual([8, 18, 14, 33]);
    expect(() => lin.forward(rj.zeros([2, 4]))).toThrow(/Linear: expected input \[N, 3\], got \[2, 4\]/);
    const img = rj.randn([2, 3, 6, 6], { seed: 1 });
    const net = new Sequential(new MaxPool2d(2), new AvgPool2d(3), new Flatten());
    expect(net.forward(img).shape).toEqual([2, 3]);
    expect(new AdaptiveAvgPool2d(1).forward(img).shape).toEqual([2, 3, 1, 1]);
    const drop = new Dropout(0.5);
    const kept = Array.from(await drop.forward(img).toArray());
    expect(kept.filter((v) => v === 0).length).toBeGreaterThan(10);
    drop.eval();
    expect(Array.from(await drop.forward(img).toArray())).toEqual(Array.from(await img.toArray()));
    lin.dispose();
  });

  it('PyTorch defaults: Conv2d/Linear weight and bias U(±1/√fan_in); He normal fan-out; seeded', async () => {
    rj.manualSeed(11);
    const conv = new Conv2d(8, 16, 3);
    const fanIn = 8 * 9;
    const w = Array.from(await conv.weight.toArray());
    const b = Array.from(await conv.bias!.toArray());
    const bound = 1 / Math.sqrt(fanIn);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Uniform on ±bound has variance bound²/3.
    expect(w.reduce((s, v) => s + v * v, 0) / w.length).toBeCloseTo((bound * bound) / 3, 3);
    const he = Array.from(await rj.nn.init.kaimingNormal([64, 32, 3, 3]).toArray());
    expect(Math.sqrt(he.reduce((s, v) => s + v * v, 0) / he.length)).toBeCloseTo(Math.sqrt(2 / (64 * 9)), 3);
    rj.manualSeed(11);
    const again = new Conv2d(8, 16, 3);
    expect(Array.from(await again.weight.toArray())).toEqual(w);
    expect(() => rj.nn.init.fans([3])).toThrow(/rank ≥ 2/);
    conv.dispose();
    again.dispose();
  });
});

describe('Module', () => {
  const small = () =>
    new Sequential(new Conv2d(2, 3, 3, { padding: 1, bias: false }), new BatchNorm2d(3), new ReLU(), new Linear(3, 4));

  it('names parameters then buffers, then children, as PyTorch', () => {
    const m = small();
    expect(Object.keys(m.stateDict())).toEqual([
      '0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight', '3.bias',
    ]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
    const nbt = m.stateDict()['1.num_batches_tracked'];
    expect(nbt.dtype).toBe('int32');
    expect(nbt.shape).toEqual([]);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    m.dispose();
  });

  it('train()/eval() reach every module', () => {
    const m = small();
    m.eval();
    expect(m.namedModules().every(([, c]) => !c.training)).toBe(true);
    m.train();
    expect(m.namedModules().every(([, c]) => c.training)).toBe(true);
    m.dispose();
  });

  it('loads a state dict by copy and round-trips values', async () => {
    const a = small();
    rj.manualSeed(7);
    const b = small();
    const refsBefore = b.parameterRefs();
    b.loadStateDict(a.stateDict());
    for (const [k, t] of Object.entries(a.stateDict())) {
      expect(Array.from(await b.stateDict()[k].toArray())).toEqual(Array.from(await t.toArray()));
    }
    // The source keeps ownership of its tensors; refs follow the replaced parameters.
    expect(Object.values(a.stateDict()).every((t) => !t.isDisposed)).toBe(true);
    expect(refsBefore.map((r) => r.get())).toEqual(b.parameters());
    a.dispose();
    b.dispose();
  });

  it('rejects missing, unexpected and mis-shaped keys, changing nothing', async () => {
    const m = small();
    const w0 = Array.from(await m.stateDict()['0.weight'].toArray());
    const good = m.stateDict();
    const { ['1.bias']: _drop, ...missing } = good;
    expect(() => m.loadStateDict(missing)).toThrow(/missing keys: 1\.bias/);
    const extra = rj.zeros([3]);
    expect(() => m.loadStateDict({ ...good, 'x.y': extra })).toThrow(/unexpected keys: x\.y/);
    const wrong = rj.zeros([3, 2, 5, 5]);
    const zero0 = rj.zeros([3, 2, 3, 3]);
    expect(() => m.loadStateDict({ ...good, '0.weight': zero0, '3.weight': wrong })).toThrow(
      /'3\.weight': expected \[4, 3\] float32, got \[3, 2, 5, 5\] float32/,
    );
    expect(Array.from(await m.stateDict()['0.weight'].toArray())).toEqual(w0);
    const f = rj.zeros([]);
    expect(() => m.loadStateDict({ ...good, '1.num_batches_tracked': f })).toThrow(/expected \[\] int32, got \[\] float32/);
    // Non-strict loading ignores missing/unexpected keys but still checks shapes.
    m.loadStateDict({ '0.weight': zero0, 'x.y': extra }, { strict: false });
    expect(Array.from(await m.stateDict()['0.weight'].toArray()).every((v) => v === 0)).toBe(true);
    for (const t of [extra, wrong, zero0, f]) t.dispose();
    m.dispose();
  });

  it('replacing a parameter disposes the old one; dispose() frees everything', () => {
    const before = rj.memory();
    const m = small();
    const old = (m.child('0') as Conv2d).weight;
    m.child<Conv2d>('0').registerParameter('weight', rj.zeros([3, 2, 3, 3]));
    expect(old.isDisposed).toBe(true);
    m.child<Conv2d>('0').weightMask = rj.ones([3, 2, 3, 3]);
    m.dispose();
    expect(rj.memory().liveTensors).toBe(before.liveTensors);
    expect(rj.memory().liveBytes).toBe(before.liveBytes);
  });

  it('parameters survive tidy scopes', () => {
    let m: Sequential | null = null;
    rj.tidy(() => {
      m = small();
    });
    expect(m!.parameters().every((p) => !p.isDisposed)).toBe(true);
    m!.dispose();
  });

  it('describes a model and rebuilds it identically', () => {
    const m = createModel('resnet164', { widthMultiplier: 0.25 });
    const d = m.describe();
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    const again = rj.nn.modelFromDescription(d);
    expect(again.describe()).toEqual(d);
    expect(Object.entries(again.stateDict()).map(([k, t]) => [k, t.shape])).toEqual(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
    m.dispose();
    again.dispose();
  });

  it('deletes a DenseNet layer given width 0, describes it, and rebuilds it identically', async () => {
    const widths = { 'features.denseblock1.denselayer2.conv2': 0 };
    const m = createModel('densenet_bc100', { widthMultiplier: 1 / 8, widths });
    const d = m.describe();
    expect(d.widths['features.denseblock1.denselayer2.conv1']).toBe(0);
    expect(d.widths['features.denseblock1.denselayer2.conv2']).toBe(0);
    expect(m.convBnUnits().some((u) => u.name.includes('denseblock1.denselayer2.'))).toBe(false);
    expect(Object.keys(m.stateDict()).some((k) => k.includes('denseblock1.denselayer2.'))).toBe(false);
    // Layer 3 reads stem (10) + layer 1 (5) channels.
    expect(m.stateDict()['features.denseblock1.denselayer3.conv1.weight'].shape).toEqual([20, 15, 1, 1]);
    const again = rj.nn.modelFromDescription(d);
    expect(again.describe()).toEqual(d);
    expect(() => createModel('densenet_bc100', { widthMultiplier: 1 / 8, widths: { 'features.transition1.conv': 0 } })).toThrow(
      /'features\.transition1\.conv' cannot have width 0/,
    );
    expect(() => createModel('vgg_mini', { widths: { 'features.0': 0 } })).toThrow(/'features\.0' cannot have width 0/);
    m.dispose();
    again.dispose();
  });

  it('rejects unknown unit names and unequal widths at a residual addition', () => {
    expect(() => createModel('vgg_mini', { widths: { 'features.1': 4 } })).toThrow(/does not have: features\.1/);
    expect(() => createModel('resnet20', { widthMultiplier: 0.25, widths: { 'layer1.0.conv2': 5 } })).toThrow(
      /equal widths: layer1\.0\.conv2=5, conv1=4/,
    );
    expect(() => createModel('nope')).toThrow(/unknown model 'nope'/);
  });
});
