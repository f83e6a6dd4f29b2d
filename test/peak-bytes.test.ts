/**
 * memory().peakBytes: the highest live bytes since resetPeakBytes(). Benchmarks read a training
 * step's peak from it, so it must count every allocation at the moment it happens (also inside a
 * tidy whose intermediates are gone before anyone looks) and never count a shared storage twice.
 */
import { expect, it } from 'vitest';
import * as rj from '../src/index.js';
import { describeEachBackend } from './helpers/backends.js';

describeEachBackend('memory().peakBytes', () => {
  it('starts a window at the current live bytes and records the high-water mark inside tidy', () => {
    const base = rj.memory().liveBytes;
    rj.resetPeakBytes();
    expect(rj.memory().peakBytes).toBe(base);
    rj.tidy(() => {
      const a = rj.ones([256]); // 1 KiB
      const b = rj.add(a, a); // 1 KiB more: 2 KiB live here
      a.dispose();
      rj.mul(b, b); // a's bytes are gone, so still 2 KiB
    });
    const m = rj.memory();
    expect(m.liveBytes).toBe(base);
    expect(m.peakBytes - base).toBe(2048);
    // A new window forgets the old peak.
    rj.resetPeakBytes();
    expect(rj.memory().peakBytes).toBe(base);
  });

  it('counts a storage shared by views once', () => {
    const base = rj.memory().liveBytes;
    rj.resetPeakBytes();
    const a = rj.zeros([4, 8]);
    const v = rj.reshape(a, [32]);
    const d = rj.detach(v);
    expect(rj.memory().peakBytes - base).toBe(128);
    [a, v, d].forEach((t) => t.dispose());
    expect(rj.memory().liveBytes).toBe(base);
    expect(rj.memory().peakBytes - base).toBe(128);
  });

  it('a training step: the peak lies above the live bytes before and after it', async () => {
    const w = rj.randn([16, 8], { seed: 1, requiresGrad: true });
    const x = rj.randn([4, 16], { seed: 2 });
    const before = rj.memory().liveBytes;
    rj.resetPeakBytes();
    rj.tidy(() => {
      rj.sum(rj.relu(rj.matmul(x, w))).backward();
    });
    const m = rj.memory();
    // After: w.grad (512 B) stays. At the peak: at least the grad plus the 4x8 activations.
    expect(m.liveBytes - before).toBe(512);
    expect(m.peakBytes).toBeGreaterThanOrEqual(m.liveBytes + 128);
    w.grad = null;
    w.dispose();
    x.dispose();
  });
});
