/**
 * How features beyond plain training join the command line without editing it: an extension declares
 * its `rejuv train` options (shown under its own heading in `rejuv train --help`, parsed and validated
 * like every other option, stored in the run config under `plugin`) and builds a `TrainingPlugin` from
 * them. Neural Rejuvenation registers itself from src/rejuv by calling `registerExtension`, and is
 * imported below (the only line NR adds here).
 */
import type { ZooModel } from '../nn/graph.js';
import type { Checkpoint } from '../train/checkpoint.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainingPlugin } from '../train/plugin.js';
import type { OptionSpec, ParsedOptions } from './options.js';

export interface CliExtension {
  name: string;
  /** Options added to `rejuv train` (their values arrive in `cfg.plugin`, keyed by option name). */
  options: OptionSpec[];
  /** The option that switches the extension on (e.g. 'nr'): its other options are refused without it. */
  enabledBy?: string;
  /** A plugin for this run, or null when the extension's options do not enable it. */
  makePlugin(model: ZooModel, cfg: TrainConfig): TrainingPlugin | null;
  /** Extra lines / JSON for `rejuv inspect` (e.g. per-layer alive counts). */
  inspect?(ckpt: Checkpoint, model: ZooModel): Promise<Record<string, unknown> | null> | Record<string, unknown> | null;
  /** Human-readable lines for what `inspect` returned (default: its JSON). */
  formatInspect?(info: Record<string, unknown>): string[];
  /**
   * A variant for `rejuv demo` to run beside the baseline: its label and option values, given the
   * demo's sparsity λ (`--lambda`) and cap on monitoring epochs (`--monitor-epochs`).
   */
  demo?: { label: string; options: (knobs: { lambda: number; monitorEpochs: number }) => ParsedOptions };
}

const extensions: CliExtension[] = [];

export function registerExtension(ext: CliExtension): void {
  if (extensions.some((e) => e.name === ext.name)) throw new Error(`rejuv cli: extension '${ext.name}' registered twice`);
  extensions.push(ext);
}

export function getExtensions(): readonly CliExtension[] {
  return extensions;
}

/** Usage errors for extension options given on the command line without the option that enables them. */
export function checkExtensionOptions(given: readonly string[]): string | null {
  for (const e of extensions) {
    if (!e.enabledBy || given.includes(e.enabledBy)) continue;
    const idle = e.options.filter((o) => o.name !== e.enabledBy && given.includes(o.name)).map((o) => `--${o.name}`);
    if (idle.length) return `${idle.join(', ')} ${idle.length === 1 ? 'has' : 'have'} no effect without --${e.enabledBy}: add --${e.enabledBy} to use ${idle.length === 1 ? 'it' : 'them'}, or leave ${idle.length === 1 ? 'it' : 'them'} out`;
  }
  return null;
}

/** The first plugin any extension makes for this run (at most one may claim a run). */
export function makePlugin(model: ZooModel, cfg: TrainConfig): TrainingPlugin | null {
  const made = extensions.map((e) => [e.name, e.makePlugin(model, cfg)] as const).filter(([, p]) => p);
  if (made.length > 1) throw new Error(`rejuv cli: extensions ${made.map(([n]) => n).join(' and ')} both claim this run`);
  return made[0]?.[1] ?? null;
}
