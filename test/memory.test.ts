/**
 * Memory discipline: a loop of 1000 training-like steps inside tidy keeps live tensors/bytes constant
 * and the WebGPU pool stable after warm-up; tidy keeps what it returns; dispose and keep semantics.
 */
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend, destroyGpu, rj } from './helpers/backends.js';
import { randValues } from './helpers/compare.js';

afterAll(() => destroyGpu());

type T = rj.Tensor;

describeEachBackend('memory', (backend) => {
  it('1000 training steps of a tiny MLP leave memory constant', async () => {
    const x = rj.tensor(randValues(32 * 8, 1, -1, 1), [32, 8]);
    const y = rj.tensor(randValues(32 * 4, 2, -1, 1), [32, 4]);
    let params = [
      rj.randn([8, 16], { seed: 3, std: 0.4 }), rj.zeros([16]), rj.randn([16, 4], { seed: 4, std: 0.3 }), rj.zeros([4]),
    ];
    params.forEach((p) => (p.requiresGrad = true));
    const step = (): T => {
      const [loss, ...next] = rj.tidy(() => {
        const [w1, b1, w2, b2] = params;
        const h = rj.relu(rj.add(rj.matmul(x, w1), b1));
        const l = rj.mean(rj.square(rj.sub(rj.add(rj.matmul(h, w2), b2), y)));
        l.backward();
        const updated = rj.noGrad(() => params.map((p) => rj.sub(p, rj.mul(p.grad!, 0.1))));
        return [l, ...updated];
      });
      params.forEach((p) => { p.grad = null; p.dispose(); });
      next.forEach((p) => (p.requiresGrad = true));
      params = next;
      return loss;
    };
    const losses: number[] = [];
    let warm: rj.MemoryInfo | null = null;
    for (let i = 0; i < 1000; i++) {
      const loss = step();
      if (i % 100 === 0 || i === 999) losses.push(await loss.item());
      loss.dispose();
      const m = rj.memory();
      if (i === 4) warm = m;
      if (warm && i > 4) {
        expect(m.liveTensors, `live tensors at step ${i}`).toBe(warm.liveTensors);
        expect(m.liveBytes, `live bytes at step ${i}`).toBe(warm.liveBytes);
      }
    }
    const end = rj.memory();
    expect(end.pooledBytes, 'pooled bytes').toBe(warm!.pooledBytes);
    expect(end.allocatedBytes, 'allocated bytes').toBe(warm!.allocatedBytes);
    if (backend === 'webgpu') expect(end.allocatedBytes).toBeGreaterThan(0);
    // It is training, not idling: the loss went down.
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8);
    [x, y, ...params].forEach((t) => t.dispose());
  }, 120_000);

  it('tidy disposes intermediates and keeps what it returns (arrays, objects, nested tidies)', async () => {
    const before = rj.memory();
    const out = rj.tidy(() => {
      const a = rj.ones([4]);
      const b = rj.add(a, 1);
      const inner = rj.tidy(() => {
        const t = rj.mul(b, 3); // kept by the inner tidy, then owned by the outer one
        rj.exp(t);
        return { t, n: 1 };
      });
      expect(inner.t.isDisposed).toBe(false);
      return { sum: rj.sum(inner.t), both: [b, rj.neg(b)] };
    });
    expect(rj.memory().liveTensors - before.liveTensors).toBe(3);
    expect(Array.from(await out.sum.toArray())).toEqual([24]);
    expect(Array.from(await out.both[1].toArray())).toEqual([-2, -2, -2, -2]);
    [out.sum, ...out.both].forEach((t) => t.dispose());
    expect(rj.memory().liveTensors).toBe(before.liveTensors);
    expect(rj.memory().liveBytes).toBe(before.liveBytes);
  });

  it('keep() escapes every tidy; a tensor kept by an inner tidy still dies with the outer one', () => {
    const before = rj.memory().liveTensors;
    let kept: T | null = null, inner: T | null = null;
    rj.tidy(() => {
      rj.tidy(() => {
        kept = rj.keep(rj.ones([2]));
        inner = rj.ones([2]);
        return inner;
      });
    });
    expect(kept!.isDisposed).toBe(false);
    expect(inner!.isDisposed).toBe(true);
    kept!.dispose();
    expect(rj.memory().liveTensors).toBe(before);
  });

  it('views share storage: bytes count once, and the storage lives until its last view goes', async () => {
    const before = rj.memory();
    const a = rj.tensor([1, 2, 3, 4, 5, 6]);
    const v = rj.reshape(a, [2, 3]);
    const d = rj.detach(v);
    expect(rj.memory().liveBytes - before.liveBytes).toBe(24);
    expect(rj.memory().liveTensors - before.liveTensors).toBe(3);
    a.dispose();
    v.dispose();
    expect(rj.memory().liveBytes - before.liveBytes).toBe(24);
    expect(Array.from(await d.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
    d.dispose();
    d.dispose();
    expect(rj.memory().liveBytes).toBe(before.liveBytes);
    expect(rj.memory().liveTensors).toBe(before.liveTensors);
  });

  it('gradients: accumulate across backward calls, `grad = null` frees them, noGrad records nothing', async () => {
    const before = rj.memory();
    const w = rj.tensor([1, 2], undefined, { requiresGrad: true });
    for (let i = 0; i < 3; i++) rj.tidy(() => rj.sum(rj.mul(w, w)).backward());
    expect(Array.from(await w.grad!.toArray())).toEqual([6, 12]);
    w.grad = null;
    const y = rj.noGrad(() => rj.mul(w, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBe(null);
    y.dispose();
    w.dispose();
    expect(rj.memory().liveTensors).toBe(before.liveTensors);
    expect(rj.memory().liveBytes).toBe(before.liveBytes);
  });
});
