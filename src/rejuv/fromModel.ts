/**
 * From a zoo model (src/nn/graph.ts: `convBnUnits()`, `channelGraph()`) to the channel graph NR reasons
 * about, and back: rebuilding the same family with explicit per-unit widths.
 */
import type { ModelOptions, ConvBnUnit, ZooModel } from '../nn/graph.js';
import { fail } from '../core/errors.js';
import type { ChannelGraph, Source } from './channels.js';

export interface ModelGraph {
  graph: ChannelGraph;
  units: ConvBnUnit[];
}

export function channelGraphOf(model: ZooModel): ModelGraph {
  const units = model.convBnUnits();
  const index = new Map(units.map((u, i) => [u.name, i]));
  const nodes = model.channelGraph();
  const src: Source[] = [];
  let classifier: Source | null = null;
  const specs: ChannelGraph['units'] = [];
  nodes.forEach((n, i) => {
    switch (n.kind) {
      case 'input': src[i] = { kind: 'image', channels: n.channels }; break;
      case 'add': src[i] = { kind: 'add', inputs: n.inputs.map((k) => src[k]) }; break;
      case 'concat': src[i] = { kind: 'concat', inputs: n.inputs.map((k) => src[k]) }; break;
      case 'classifier': classifier = src[n.input]; break;
      case 'unit': {
        const l = index.get(n.name);
        if (l === undefined || l !== specs.length) fail('nr.channelGraph', `unit '${n.name}' of ${model.arch}'s channel graph is not the next of convBnUnits() (topological order)`);
        const u = units[l];
        const out = u.conv.lastOutputSize;
        specs.push({
          name: u.name, out: u.conv.outChannels, kernel: u.conv.kernelSize[0] * u.conv.kernelSize[1], fixed: u.fixed,
          input: src[n.input], outArea: out ? out[0] * out[1] : undefined,
        });
        src[i] = { kind: 'unit', unit: l };
        break;
      }
    }
  });
  if (!classifier) fail('nr.channelGraph', `${model.arch}'s channel graph has no classifier node`);
  if (specs.length !== units.length) fail('nr.channelGraph', `${units.length} units but ${specs.length} unit nodes`);
  return { graph: { units: specs, classifier }, units };
}

/** The same architecture with explicit widths (surgery, checkpoint restore). */
export function rebuildModel(model: ZooModel, widths: Record<string, number>): ZooModel {
  const Ctor = model.constructor as new (arch: string, opts: ModelOptions) => ZooModel;
  // Units absent from `widths` keep their current width: a DenseNet layer deleted in an earlier
  // round (width 0, no longer in the channel graph) stays deleted.
  return new Ctor(model.arch, { ...model.options, widths: { ...model.describe().widths, ...widths } });
}
