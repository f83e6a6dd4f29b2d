/**
 * The model zoo: parameter counts of every full-size model against the published figures (docs/method.md §12.1) and PyTorch's
 * sum(p.numel()) of the equivalent modules (conv weights + BN γ, β + classifier W, b; buffers are not
 * parameters); NR hooks (units, fixed flags, channel graph, explicit widths); forward shapes of
 * small versions on both backends.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rj from '../src/index.js';
import { Conv2d, createModel, MODEL_NAMES, type ChannelNode, type ZooModel } from '../src/nn/index.js';
import { engine } from '../src/tensor/engine.js';
import { backendFor, describeEachBackend, destroyGpu, withBackend } from './helpers/backends.js';

const golden = JSON.parse(readFileSync(new URL('./goldens/nn.json', import.meta.url), 'utf8')) as { paramCounts: Record<string, number> };

/** The published figures (millions: the paper's architectures and its "baseline params"; method §12.1). */
const SPEC_MILLIONS: Record<string, number> = {
  vgg19: 20.04, resnet164: 1.7, densenet_bc100: 8.27, vgg16_nr: 37.7,
  resnet18: 11.69, resnet34: 21.8, resnet50: 25.56, resnet101: 44.55, densenet121: 7.92,
};

let prev: typeof engine.backend = null;
beforeAll(async () => {
  prev = engine.backend;
  engine.backend = await backendFor('cpu');
});
afterAll(() => {
  engine.backend = prev;
  destroyGpu();
});

describe('parameter counts (full size)', () => {
  for (const name of MODEL_NAMES) {
    it(name, async () => {
      // Built on WebGPU, where drawing 180 M random weights is a kernel, not a JavaScript loop.
      const m = await withBackend('webgpu', () => createModel(name));
      const n = m.numParameters();
      await withBackend('webgpu', () => m.dispose());
      expect(n).toBe(golden.paramCounts[name]);
      const spec = SPEC_MILLIONS[name];
      if (spec !== undefined) {
        // Published to 2 decimals in millions (37.7 M to one): within rounding of the figure.
        const digits = spec === 37.7 || spec === 1.7 ? 1 : 2;
        expect(Number((n / 1e6).toFixed(digits))).toBe(spec);
      }
    });
  }
  it('vgg_mini is the 72,954-parameter miniature of method §13.1', () => {
    const m = createModel('vgg_mini');
    expect(m.numParameters()).toBe(72954);
    m.dispose();
  });
});

function checkGraph(m: ZooModel): ChannelNode[] {
  const g = m.channelGraph();
  const units = m.convBnUnits();
  // Topological: every reference points backwards; unit nodes appear in convBnUnits order.
  g.forEach((n, i) => {
    const refs = n.kind === 'unit' || n.kind === 'classifier' ? [n.input] : n.kind === 'input' ? [] : n.inputs;
    for (const r of refs) expect(r).toBeLessThan(i);
  });
  expect(g.filter((n) => n.kind === 'unit').map((n) => (n as { name: string }).name)).toEqual(units.map((u) => u.name));
  expect(g[0]).toEqual({ kind: 'input', channels: m.options.inChannels });
  expect(g[g.length - 1].kind).toBe('classifier');
  // Each unit's conv and BN widths agree, and the name is the conv's state-dict path.
  const sd = m.stateDict();
  for (const u of units) {
    expect(u.bn.numFeatures).toBe(u.conv.outChannels);
    expect(sd[`${u.name}.weight`]).toBe(u.conv.weight);
    expect(sd[`${u.bnName}.weight`]).toBe(u.bn.weight);
  }
  return g;
}

describe('NR hooks', () => {
  it('VGG: a chain, no fixed units', () => {
    const m = createModel('vgg19', { widthMultiplier: 1 / 8, inChannels: 1, inputSize: 28 });
    const g = checkGraph(m);
    expect(m.convBnUnits()).toHaveLength(16);
    expect(m.convBnUnits().some((u) => u.fixed)).toBe(false);
    expect(g.filter((n) => n.kind === 'add' || n.kind === 'concat')).toHaveLength(0);
    expect(m.describe().widths['features.0']).toBe(8);
    m.dispose();
  });

  it('ResNet: fixed stem, last conv of each block and projections; one addition per block', () => {
    const m = createModel('resnet164', { widthMultiplier: 1 / 4 });
    const g = checkGraph(m);
    const units = m.convBnUnits();
    expect(units).toHaveLength(1 + 54 * 3 + 3);
    const fixed = units.filter((u) => u.fixed).map((u) => u.name);
    expect(fixed).toHaveLength(1 + 54 + 3);
    expect(fixed.every((n) => n === 'conv1' || n.endsWith('.conv3') || n.endsWith('.downsample.0'))).toBe(true);
    expect(g.filter((n) => n.kind === 'add')).toHaveLength(54);
    const r18 = createModel('resnet18', { widthMultiplier: 1 / 8 });
    checkGraph(r18);
    expect(r18.convBnUnits().filter((u) => u.fixed).map((u) => u.name)).toEqual([
      'conv1', 'layer1.0.conv2', 'layer1.1.conv2', 'layer2.0.conv2', 'layer2.0.downsample.0', 'layer2.1.conv2',
      'layer3.0.conv2', 'layer3.0.downsample.0', 'layer3.1.conv2', 'layer4.0.conv2', 'layer4.0.downsample.0', 'layer4.1.conv2',
    ]);
    m.dispose();
    r18.dispose();
  });

  it('DenseNet: concatenations whose widths follow from the parts', () => {
    const m = createModel('densenet_bc100', { widthMultiplier: 1 / 8 });
    const g = checkGraph(m);
    expect(m.convBnUnits()).toHaveLength(1 + 48 * 2 + 2);
    expect(m.convBnUnits().some((u) => u.fixed)).toBe(false);
    expect(g.filter((n) => n.kind === 'concat')).toHaveLength(48);
    m.dispose();
  });

  it('knows every conv output size from inputSize and rejects a too-small input at construction', () => {
    const m = createModel('vgg19', { widthMultiplier: 1 / 16, inputSize: 28 });
    expect(m.convBnUnits().map((u) => u.conv.lastOutputSize![0])).toEqual([28, 28, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7, 7, 7, 7, 7]);
    const r = createModel('resnet18', { widthMultiplier: 1 / 16 });
    expect(r.convBnUnits().map((u) => u.conv.lastOutputSize![0]).filter((v, i, a) => a.indexOf(v) === i)).toEqual([112, 56, 28, 14, 7]);
    m.dispose();
    r.dispose();
    expect(() => createModel('vgg16_nr', { widthMultiplier: 1 / 32, inputSize: 8 })).toThrow(
      /vgg16_nr: input size 8 is too small: the 1×1 map after 'features\.30' pools to 0×0/,
    );
  });

  it('explicit widths rebuild the family with those widths', () => {
    const base = createModel('resnet20', { widthMultiplier: 0.5 });
    const widths = base.describe().widths;
    widths['layer1.0.conv1'] = 3;
    widths['layer2.1.conv1'] = 11;
    for (const k of ['conv1', 'layer1.0.conv2', 'layer1.1.conv2', 'layer1.2.conv2']) widths[k] = 10;
    const m = createModel('resnet20', { widthMultiplier: 0.5, widths });
    expect(m.describe().widths).toEqual(widths);
    expect(m.stateDict()['layer1.0.conv2.weight'].shape).toEqual([10, 3, 3, 3]);
    expect(m.stateDict()['layer2.0.conv1.weight'].shape).toEqual([16, 10, 3, 3]);
    expect(m.stateDict()['layer2.0.downsample.0.weight'].shape).toEqual([16, 10, 1, 1]);
    const d = createModel('densenet_bc100', { widthMultiplier: 1 / 8, widths: { 'features.denseblock1.denselayer1.conv2': 9 } });
    expect(d.stateDict()['features.denseblock1.denselayer2.conv1.weight'].shape).toEqual([20, 10 + 9, 1, 1]);
    for (const x of [base, m, d]) x.dispose();
  });

  it('replaceUnitConv: in every family the swapped-in conv is the one that runs, under the same state-dict name', () => {
    // A conv of the same geometry whose forward records that it ran (as Scheme B's CrossAttentionConv2d).
    class Counting extends Conv2d {
      calls = 0;
      override forward(x: rj.Tensor): rj.Tensor {
        this.calls++;
        return super.forward(x);
      }
    }
    for (const arch of ['vgg_mini', 'resnet20', 'densenet_bc100']) {
      const m = createModel(arch, { widthMultiplier: arch === 'densenet_bc100' ? 1 / 8 : 0.25, inputSize: 8 });
      const before = Object.keys(m.stateDict());
      const swapped = m.convBnUnits().map((u) => {
        const c = u.conv;
        const n = new Counting(c.inChannels, c.outChannels, c.kernelSize, { stride: c.stride, padding: c.padding, dilation: c.dilation, bias: false, weightInit: () => c.weight });
        const old = m.replaceUnitConv(u.name, n);
        expect(old).toBe(c);
        old.releaseParameter('weight'); // n owns it now
        old.dispose();
        return n;
      });
      expect(Object.keys(m.stateDict())).toEqual(before);
      expect(m.convBnUnits().map((u) => u.conv)).toEqual(swapped);
      rj.tidy(() => m.forward(rj.randn([2, 3, 8, 8], { seed: 1 })));
      expect(swapped.map((c) => c.calls), arch).toEqual(swapped.map(() => 1));
      m.dispose();
    }
    const v = createModel('vgg_mini', { widthMultiplier: 0.25 });
    const u = v.convBnUnits()[1];
    expect(() => v.replaceUnitConv(u.name, new Conv2d(u.conv.inChannels, u.conv.outChannels + 1, 3, { padding: 1, bias: false }))).toThrow(/replaceUnitConv`?.*unit 'features\.3': the new conv must have the old one's geometry/);
    expect(() => v.replaceUnitConv('features.99', u.conv)).toThrow(/has no conv-BN unit 'features\.99'/);
    v.dispose();
  });

  it('initializes as method §12.2 (γ 0.5 for VGG, 1 otherwise; He fan-out; classifier N(0, 0.01²), bias 0)', async () => {
    rj.manualSeed(3);
    const v = createModel('vgg_mini');
    const r = createModel('resnet20', { widthMultiplier: 0.25 });
    expect(new Set(await v.convBnUnits()[2].bn.weight!.toArray())).toEqual(new Set([0.5]));
    expect(new Set(await r.convBnUnits()[2].bn.weight!.toArray())).toEqual(new Set([1]));
    const w = Array.from(await v.convBnUnits()[5].conv.weight.toArray()); // 64 × 64 × 3 × 3
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (9 * 64)), 2);
    const c = Array.from(await v.classifier.weight.toArray());
    expect(Math.sqrt(c.reduce((s, x) => s + x * x, 0) / c.length)).toBeCloseTo(0.01, 3);
    expect(new Set(await v.classifier.bias!.toArray())).toEqual(new Set([0]));
    v.dispose();
    r.dispose();
  });
});

interface ForwardFixture {
  arch: string;
  options: { widthMultiplier: number; inChannels: number; numClasses: number; inputSize: number };
  state: Record<string, number[]>;
  x: number[];
  xShape: number[];
  logitsTrain: number[];
  logitsEval: number[];
  buffersAfterTrain: Record<string, number[]>;
}
const forwardGolden = (JSON.parse(readFileSync(new URL('./goldens/nn.json', import.meta.url), 'utf8')) as { forward: ForwardFixture[] }).forward;

function near(got: ArrayLike<number>, want: number[], tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  if (worst > tol) expect.fail(`${what}: max relative error ${worst} > ${tol}`);
}

describeEachBackend('models forward', (backend) => {
  for (const f of forwardGolden) {
    it(`${f.arch} ×${f.options.widthMultiplier}: logits (train and eval BN) and running statistics equal PyTorch's`, async () => {
      const m = createModel(f.arch, f.options);
      const sd = m.stateDict();
      const src = Object.fromEntries(Object.entries(f.state).map(([k, v]) => [k, rj.tensor(v, sd[k].shape, { dtype: sd[k].dtype })]));
      m.loadStateDict(src);
      for (const t of Object.values(src)) t.dispose();
      const x = rj.tensor(f.x, f.xShape);
      m.train();
      const yTrain = rj.tidy(() => m.forward(x));
      near(await yTrain.toArray(), f.logitsTrain, 2e-4, 'train-mode logits');
      for (const [k, want] of Object.entries(f.buffersAfterTrain)) near(await m.stateDict()[k].toArray(), want, 1e-5, k);
      m.eval();
      const yEval = rj.tidy(() => m.forward(x));
      near(await yEval.toArray(), f.logitsEval, 2e-4, 'eval-mode logits');
      for (const t of [x, yTrain, yEval]) t.dispose();
      m.dispose();
    });
  }

  const small: [string, Record<string, number>][] = [
    // MNIST-shaped on WebGPU; the plain-loop reference backend gets a smaller image to stay quick.
    ['vgg19', { widthMultiplier: 1 / 8, inChannels: 1, inputSize: backend === 'cpu' ? 12 : 28 }],
    ['vgg16_nr', { widthMultiplier: 1 / 32, inputSize: 32, numClasses: 7 }],
    ['vgg_mini', {}],
    ['resnet20', { widthMultiplier: 1 / 4, inputSize: 12 }],
    ['resnet164', { widthMultiplier: 1 / 8, inputSize: 8 }],
    ['resnet18', { widthMultiplier: 1 / 16, inputSize: 32, numClasses: 5 }],
    ['resnet34', { widthMultiplier: 1 / 16, inputSize: 32, numClasses: 5 }],
    ['resnet50', { widthMultiplier: 1 / 16, inputSize: 32, numClasses: 5 }],
    ['resnet101', { widthMultiplier: 1 / 16, inputSize: 32, numClasses: 5 }],
    ['densenet_bc100', { widthMultiplier: 1 / 10, inputSize: 8 }],
    ['densenet121', { widthMultiplier: 1 / 8, inputSize: 32, numClasses: 5 }],
  ];
  // The deeper ImageNet ResNets repeat resnet18/50's blocks: WebGPU only, to keep the file quick.
  const here = backend === 'cpu' ? small.filter(([n]) => n !== 'resnet34' && n !== 'resnet101') : small;
  it.each(here)(`%s (small) forward and backward shapes [${backend}]`, async (name, opts) => {
    rj.manualSeed(1);
    const m = createModel(name, opts);
    const n = 2, s = m.options.inputSize;
    // Sizes known from inputSize at construction must be those a forward pass records.
    const nominal = m.convBnUnits().map((u) => u.conv.lastOutputSize);
    const x = rj.randn([n, m.options.inChannels, s, s], { seed: 9 });
    const loss = rj.tidy(() => {
      const f = m.features(x);
      expect(f.shape).toEqual([n, m.classifier.inFeatures]);
      const y = m.classifier.forward(f);
      expect(y.shape).toEqual([n, m.options.numClasses]);
      const l = rj.mean(rj.square(y));
      l.backward(); // inside the tidy that built the graph
      return l;
    });
    expect(Number.isFinite(await loss.item())).toBe(true);
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    expect(m.convBnUnits().map((u) => u.conv.lastOutputSize)).toEqual(nominal);
    for (const u of m.convBnUnits()) expect(u.conv.lastOutputSize?.every((d) => d >= 1)).toBe(true);
    loss.dispose();
    x.dispose();
    m.dispose();
  });

  it('Conv2d weightMask zeroes masked weights in forward and their gradient', async () => {
    const conv = new Conv2d(2, 2, 1, { bias: false });
    conv.registerParameter('weight', rj.tensor([1, 2, 3, 4], [2, 2, 1, 1]));
    conv.weightMask = rj.tensor([1, 0, 0, 1], [2, 2, 1, 1]);
    const x = rj.tensor([10, 100], [1, 2, 1, 1]);
    const y = rj.tidy(() => conv.forward(x));
    expect(Array.from(await y.toArray())).toEqual([10, 400]);
    const l = rj.tidy(() => {
      const s = rj.sum(conv.forward(x));
      s.backward();
      return s;
    });
    expect(Array.from(await conv.weight.grad!.toArray())).toEqual([10, 0, 0, 100]);
    expect(conv.lastOutputSize).toEqual([1, 1]);
    for (const t of [x, y, l]) t.dispose();
    conv.dispose();
  });
});
