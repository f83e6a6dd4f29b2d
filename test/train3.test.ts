/**
 * A 3-layer conv net (conv-BN-ReLU ×2, max pool, linear head) trained for 20 SGD steps on fixed data
 * follows PyTorch's loss curve from the same initial weights (fixture: scripts/goldens/train3.py).
 */
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';
import { expectClose, loadGolden, type GoldenTensor } from './helpers/golden.js';

afterAll(() => destroyGpu());

interface Train3 {
  x: GoldenTensor; labels: number[]; params: Record<string, GoldenTensor>; losses: number[];
  final: Record<string, GoldenTensor>; buffers: Record<string, GoldenTensor>;
}
const golden = loadGolden<Train3>('train3.json');

describeEachBackend('train3: 20 SGD steps match PyTorch', () => {
  it('loss curve within 1e-4 relative per step; final weights and running statistics agree', async () => {
    const p: Record<string, rj.Tensor> = {};
    for (const [k, v] of Object.entries(golden.params)) p[k] = rj.tensor(v.data, v.shape, { requiresGrad: true });
    const bufs = { m1: rj.zeros([6]), v1: rj.ones([6]), m2: rj.zeros([8]), v2: rj.ones([8]) };
    const x = rj.tensor(golden.x.data, golden.x.shape);
    const labels = rj.tensor(golden.labels, [golden.labels.length], { dtype: 'int32' });
    const momentum = new Map<string, rj.Tensor | null>();

    const forward = () => {
      let h = rj.conv2d(x, p['conv1.weight'], p['conv1.bias'], { padding: 1 });
      h = rj.relu(rj.batchNorm(h, bufs.m1, bufs.v1, p['bn1.weight'], p['bn1.bias'], { training: true }));
      h = rj.conv2d(h, p['conv2.weight'], p['conv2.bias'], { stride: 2, padding: 1 });
      h = rj.relu(rj.batchNorm(h, bufs.m2, bufs.v2, p['bn2.weight'], p['bn2.bias'], { training: true }));
      h = rj.maxPool2d(h, { kernelSize: 2 });
      // The linear head over flatten(h) as a convolution whose kernel covers the whole 2×2 map: the
      // same sum, with fc.weight [5, 32] viewed as OIHW [5, 8, 2, 2] (flatten order is c, h, w).
      return rj.flatten(rj.conv2d(h, rj.reshape(p['fc.weight'], [5, 8, 2, 2]), p['fc.bias']), 1);
    };

    const live0 = rj.memory().liveBytes;
    const losses: number[] = [];
    let liveAfterStep1 = 0;
    for (let step = 0; step < 20; step++) {
      const loss = rj.tidy(() => {
        const l = rj.crossEntropy(forward(), labels, { labelSmoothing: 0.1 });
        l.backward();
        return l;
      });
      for (const [k, t] of Object.entries(p)) {
        momentum.set(k, rj.sgdUpdate(t, t.grad!, momentum.get(k) ?? null, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }));
        t.grad = null;
      }
      losses.push(await loss.item());
      loss.dispose();
      // Momentum buffers appear on the first step; after it, a step must not leak device memory.
      if (step === 1) expect(rj.memory().liveBytes).toBeGreaterThan(live0);
      if (step >= 2) expect(rj.memory().liveBytes, `live bytes after step ${step}`).toBe(liveAfterStep1);
      if (step === 1) liveAfterStep1 = rj.memory().liveBytes;
    }
    const worst = Math.max(...losses.map((l, s) => Math.abs(l - golden.losses[s]) / Math.abs(golden.losses[s])));
    console.log(`train3 [${rj.deviceInfo().backend}]: worst relative loss difference over 20 steps ${worst.toExponential(2)}`);
    losses.forEach((l, s) => expectClose(`loss at step ${s + 1}`, [l], [golden.losses[s]], 1e-4, 0));
    for (const [k, v] of Object.entries(golden.final)) expectClose(`final ${k}`, await p[k].toArray(), v.data, 1e-3, 1e-4);
    const b = golden.buffers;
    expectClose('bn1.running_mean', await bufs.m1.toArray(), b['bn1.running_mean'].data, 1e-4, 1e-5);
    expectClose('bn1.running_var', await bufs.v1.toArray(), b['bn1.running_var'].data, 1e-4, 1e-5);
    expectClose('bn2.running_mean', await bufs.m2.toArray(), b['bn2.running_mean'].data, 1e-4, 1e-5);
    expectClose('bn2.running_var', await bufs.v2.toArray(), b['bn2.running_var'].data, 1e-4, 1e-5);
  });
});
