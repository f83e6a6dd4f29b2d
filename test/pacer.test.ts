/**
 * The readback pacer (src/kernels/webgpu/pacer.ts) against a simulated device that is busy for D ms
 * after each submit: a keyed wait learns to sleep about D, so the spinning wait that follows is short;
 * an unkeyed wait never sleeps.
 */
import { describe, expect, it } from 'vitest';
import { Pacer } from '../src/kernels/webgpu/pacer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A wait that resolves when a device submitted at `t0` has worked D ms; it returns how long it waited. */
const deviceWait = (t0: number, d: number) => async () => {
  const start = performance.now();
  await sleep(Math.max(0, t0 + d - performance.now()));
  return performance.now() - start;
};

describe('Pacer', () => {
  it('a keyed wait learns to sleep through most of the device time', async () => {
    const p = new Pacer();
    const D = 40;
    const waited: number[] = [];
    for (let i = 0; i < 12; i++) waited.push(await p.wait('step', deviceWait(performance.now(), D)));
    expect(waited[0]).toBeGreaterThan(D - 5); // nothing learned yet: the whole time is spent waiting
    const est = p.estimates().step;
    expect(est).toBeGreaterThan(0.6 * D);
    expect(est).toBeLessThan(1.3 * D);
    // After learning, most waits are short (timer jitter allowed).
    expect(waited.slice(6).filter((w) => w < 0.4 * D).length).toBeGreaterThanOrEqual(3);
  });

  it('unkeyed waits never sleep, and each key learns on its own', async () => {
    const p = new Pacer();
    const t0 = performance.now();
    await p.wait(undefined, async () => 0);
    expect(performance.now() - t0).toBeLessThan(20);
    expect(p.estimates()).toEqual({});
    for (let i = 0; i < 4; i++) await p.wait('a', deviceWait(performance.now(), 30));
    expect(p.estimates().a).toBeGreaterThan(10);
    expect(p.estimates().b).toBeUndefined();
  });
});
