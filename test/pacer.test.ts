/**
 * The readback pacer (src/kernels/webgpu/pacer.ts) on a virtual clock, against a simulated device that
 * finishes D ms after each submit: a keyed wait learns to sleep through most of D, so the (spinning)
 * wait after it is short or zero; an unkeyed wait never sleeps; keys learn apart. No real time is
 * measured, so nothing here depends on the machine's speed.
 */
import { describe, expect, it } from 'vitest';
import { Pacer, type Clock } from '../src/kernels/webgpu/pacer.js';

/** A clock that only moves when something sleeps or waits on it. */
function virtualClock(): Clock & { t: number; slept: number[] } {
  const c = { t: 0, slept: [] as number[], now: () => c.t, sleep: async (ms: number) => { c.slept.push(ms); c.t += ms; } };
  return c;
}

/** A submit at the current time whose device work takes d ms; the wait returns how long it waited. */
function submit(c: { t: number }, d: number): () => Promise<number> {
  const done = c.t + d;
  return async () => {
    const w = Math.max(0, done - c.t);
    c.t += w;
    return w;
  };
}

describe('Pacer', () => {
  it('a keyed wait learns to sleep through most of the device time', async () => {
    const c = virtualClock(), p = new Pacer(c), D = 120;
    const waited: number[] = [];
    for (let i = 0; i < 40; i++) waited.push(await p.wait('step', submit(c, D)));
    expect(waited[0]).toBe(D); // nothing learned yet: the whole time is spent waiting
    const est = p.estimates().step;
    expect(est).toBeGreaterThan(0.8 * D);
    expect(est).toBeLessThan(1.3 * D);
    // After learning, every wait (the time dawn.node would spin) is short.
    for (const w of waited.slice(10)) expect(w).toBeLessThan(0.1 * D);
    // The step time (sleep + wait) stays within 20 % of the device time once learned.
    const stepTimes = c.slept.slice(-20).map((s, i) => Math.max(s, D) + waited[waited.length - 20 + i]);
    for (const t of stepTimes) expect(t).toBeLessThan(1.2 * D);
  });

  it('unkeyed waits never sleep, and each key learns on its own', async () => {
    const c = virtualClock(), p = new Pacer(c);
    await p.wait(undefined, submit(c, 50));
    await p.wait(undefined, submit(c, 50));
    expect(c.slept).toEqual([]);
    expect(p.estimates()).toEqual({});
    for (let i = 0; i < 4; i++) await p.wait('a', submit(c, 30));
    expect(p.estimates().a).toBeGreaterThan(10);
    expect(p.estimates().b).toBeUndefined();
  });
});
