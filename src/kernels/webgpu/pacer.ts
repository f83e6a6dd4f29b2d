/**
 * Waiting for the device without taking a core from it. dawn.node resolves a pending `mapAsync` (or
 * `onSubmittedWorkDone`) by calling `setImmediate` in a loop until the device is done, so the main
 * thread spins at 100 % for as long as the wait lasts. On a CPU adapter (lavapipe: 2 worker threads
 * on this 2-core machine) that spinning thread takes a core from the device: vgg_mini's MNIST training
 * step ran at 287–300 images/s waiting that way and at 415–419 images/s after sleeping on a timer
 * first (same machine, same build, `bench train-step`).
 *
 * A recurring readback (a training step, an evaluation) names itself with a key; the pacer sleeps on a
 * timer for about the time the device took to finish after the previous readback of that key, then
 * waits as before. Feedback per key: if the device was still busy after the sleep (the wait took
 * more than 2 ms), the next sleep grows by most of that; if not, it shrinks by 10 %, so it settles
 * just below the device's time. Unkeyed readbacks never sleep.
 */
const SPUN_MS = 2;
/**
 * Waking early costs more than the time missed (the rest of the device's work then runs beside the
 * spinning thread: 30–70 ms of waiting for 5–15 ms woken early on vgg_mini's step), sleeping too long
 * costs only the excess. So an early wake adds half of the wait that followed (which overstates what
 * was missed, hence half), and a wake after the device finished probes 2 % earlier next time.
 */
const UP = 0.5, DOWN = 0.98;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
const realClock: Clock = { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export class Pacer {
  private readonly sleepMs = new Map<string, number>();

  /** `clock`: tests pass a virtual one. */
  constructor(private readonly clock: Clock = realClock) {}

  /** Sleep before `wait()` for `key`'s current estimate, then run the wait and learn from it. */
  async wait<T>(key: string | undefined, wait: () => Promise<T>): Promise<T> {
    if (key === undefined) return wait();
    const s = this.sleepMs.get(key) ?? 0;
    if (s >= 1) await this.clock.sleep(s);
    const t0 = this.clock.now();
    const out = await wait();
    const spun = this.clock.now() - t0;
    this.sleepMs.set(key, spun > SPUN_MS ? s + UP * spun : DOWN * s);
    return out;
  }

  /** The current sleep of each key, in ms (for tests). */
  estimates(): Record<string, number> {
    return Object.fromEntries(this.sleepMs);
  }
}
