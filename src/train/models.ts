/**
 * Building a zoo model by name or from a checkpoint's description (which carries every unit's width,
 * so a rejuvenated, re-widened model is rebuilt exactly).
 * TODO(nn): switch to `createModel` from src/nn once it is exported; this is the same dispatch.
 */
import type { ModelDescription, ModelOptions, ZooModel } from '../nn/graph.js';
import { DENSENET_SPECS, DenseNet } from '../nn/models/densenet.js';
import { RESNET_SPECS, ResNet } from '../nn/models/resnet.js';
import { VGG, VGG_CFGS } from '../nn/models/vgg.js';
import { RejuvError } from '../tensor/errors.js';

export const modelNames = (): string[] => [...Object.keys(VGG_CFGS), ...Object.keys(RESNET_SPECS), ...Object.keys(DENSENET_SPECS)];

export function buildModel(arch: string, opts: ModelOptions): ZooModel {
  if (arch in VGG_CFGS) return new VGG(arch, opts);
  if (arch in RESNET_SPECS) return new ResNet(arch, opts);
  if (arch in DENSENET_SPECS) return new DenseNet(arch, opts);
  throw new RejuvError('model', `unknown model '${arch}' (expected one of ${modelNames().join(', ')})`);
}

export const modelFromDescription = (d: ModelDescription): ZooModel => buildModel(d.arch, { ...d.options, widths: d.widths });
