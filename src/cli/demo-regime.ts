/**
 * The regime of `rejuv demo` (`npm start`), kept in demo-regime.json so that scripts/demo-sweep.mjs
 * can write the chosen regime and its 3-seed spread there, and the demo prints that spread beside its
 * own numbers (docs/results.md, "The demo's regime").
 */
import regime from './demo-regime.json';

/** Mean, sample standard deviation and per-seed values of one variant's figure over the sweep's seeds. */
export interface Spread {
  mean: number;
  std: number;
  values: number[];
}

export interface DemoRegime {
  width: number;
  trainLimit: number;
  testLimit: number;
  epochs: number;
  lambda: number;
  monitorEpochs: number;
  seed: number;
  /** Final test accuracy (%) over the sweep's seeds, per variant label; null until a sweep wrote it. */
  spread: { seeds: number[]; finalAcc: Record<string, Spread> } | null;
}

export const DEMO: DemoRegime = regime as DemoRegime;
