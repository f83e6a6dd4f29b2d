/**
 * The channel view of a network that Neural Rejuvenation reasons about (docs/method.md §1.2, §3.4): NR-conv
 * units (conv → BN) and what feeds each of them. Pure data, so utilization and planned widths can be
 * unit-tested on hand-written graphs; `fromModel.ts` builds one from a model of the zoo.
 */

/** Where a unit's (or the classifier's) input channels come from. */
export type Source =
  /** The image: never pruned, never expanded (method §6.3). */
  | { kind: 'image'; channels: number }
  /** The output channels of NR unit `unit` (after its BN/ReLU/pooling: pooling keeps channels). */
  | { kind: 'unit'; unit: number }
  /** A residual addition: all channels alive (method §3.4); its width is its operands' common width. */
  | { kind: 'add'; inputs: readonly Source[] }
  /** A channel concatenation (DenseNet): masks join in order. */
  | { kind: 'concat'; inputs: readonly Source[] };

export interface UnitSpec {
  name: string;
  /** Output channels (BN width). */
  out: number;
  /** Kernel area k_h·k_w. */
  kernel: number;
  /** Writes to a residual stream: never dies, not L1-regularised (method §3.2). */
  fixed: boolean;
  input: Source;
  /** Output spatial size H·W (FLOPs mode); 1 when unknown. */
  outArea?: number;
}

export interface ChannelGraph {
  units: UnitSpec[];
  /** The classifier's input. */
  classifier: Source;
}

/** Number of channels a source carries, given each unit's output width. */
export function sourceWidth(src: Source, widths: readonly number[]): number {
  switch (src.kind) {
    case 'image': return src.channels;
    case 'unit': return widths[src.unit];
    case 'add': return sourceWidth(src.inputs[0], widths);
    case 'concat': return src.inputs.reduce((s, x) => s + sourceWidth(x, widths), 0);
  }
}

/** Alive channels of a source given the per-unit alive counts (additions are all alive). */
export function sourceAlive(src: Source, alive: readonly number[], widths: readonly number[]): number {
  switch (src.kind) {
    case 'image': return src.channels;
    case 'unit': return alive[src.unit];
    case 'add': return sourceWidth(src, widths);
    case 'concat': return src.inputs.reduce((s, x) => s + sourceAlive(x, alive, widths), 0);
  }
}

/** Alive mask of a source (booleans in old channel order). */
export function sourceMask(src: Source, masks: readonly (readonly boolean[])[], widths: readonly number[]): boolean[] {
  switch (src.kind) {
    case 'image': return new Array<boolean>(src.channels).fill(true);
    case 'unit': return [...masks[src.unit]];
    case 'add': return new Array<boolean>(sourceWidth(src, widths)).fill(true);
    case 'concat': return src.inputs.flatMap((x) => sourceMask(x, masks, widths));
  }
}

/**
 * The producer units whose liveness decides whether a unit has a live input (the kernel's dep list):
 * [] when the input is the image or passes through an addition (always alive).
 */
export function liveInputDeps(src: Source): number[] | null {
  switch (src.kind) {
    case 'image': return null;
    case 'add': return null;
    case 'unit': return [src.unit];
    case 'concat': {
      const parts = src.inputs.map(liveInputDeps);
      if (parts.some((p) => p === null)) return null;
      return parts.flat() as number[];
    }
  }
}

/** Original widths of every unit. */
export const unitWidths = (g: ChannelGraph): number[] => g.units.map((u) => u.out);

/** The γ-statistics kernel's view of the graph (see `device.ts`). */
export function gammaLayout(g: ChannelGraph): { lengths: number[]; fixed: boolean[]; deps: number[][] } {
  return { lengths: g.units.map((u) => u.out), fixed: g.units.map((u) => u.fixed), deps: g.units.map((u) => liveInputDeps(u.input) ?? []) };
}
