/**
 * The model zoo and its factory. `createModel(name, options)` builds a model; `createModel(desc.arch,
 * { ...desc.options, widths: desc.widths })` (or `modelFromDescription(desc)`) rebuilds exactly the
 * architecture a `describe()` recorded — what checkpoints store.
 *
 * | name | family | full-size parameters |
 * | --- | --- | --- |
 * | vgg19 | CIFAR VGG-19, NR variant (2 pools) | 20.04 M |
 * | resnet164 | CIFAR ResNet-164, bottleneck | 1.70 M |
 * | densenet_bc100 | CIFAR DenseNet-BC-100, k = 40 | 8.27 M |
 * | vgg16_nr | ImageNet VGG-16, NR variant | 37.7 M |
 * | resnet18/34/50/101 | ImageNet ResNets | 11.7 / 21.8 / 25.6 / 44.5 M |
 * | densenet121 | ImageNet DenseNet-121, post-activation | 7.9 M |
 * | vgg_mini, resnet20 | small models for this CPU (docs/method.md §13.1; CIFAR ResNet-20) | 73 k / 0.27 M |
 */
import { fail } from '../../core/errors.js';
import type { ModelDescription, ModelOptions, ZooModel } from '../graph.js';
import { DenseNet, DENSENET_SPECS } from './densenet.js';
import { ResNet, RESNET_SPECS } from './resnet.js';
import { VGG, VGG_CFGS } from './vgg.js';

export { VGG, ResNet, DenseNet };

export const MODEL_NAMES: readonly string[] = [...Object.keys(VGG_CFGS), ...Object.keys(RESNET_SPECS), ...Object.keys(DENSENET_SPECS)];

export function createModel(name: string, options: ModelOptions = {}): ZooModel {
  if (name in VGG_CFGS) return new VGG(name, options);
  if (name in RESNET_SPECS) return new ResNet(name, options);
  if (name in DENSENET_SPECS) return new DenseNet(name, options);
  fail('createModel', `unknown model '${name}' (known: ${MODEL_NAMES.join(', ')})`);
}

/** Rebuild the architecture recorded by `model.describe()` (weights are freshly initialized). */
export function modelFromDescription(desc: ModelDescription): ZooModel {
  if (!desc || typeof desc.arch !== 'string' || typeof desc.options !== 'object' || typeof desc.widths !== 'object') {
    fail('modelFromDescription', `expected { arch, options, widths }, got ${JSON.stringify(desc)?.slice(0, 200)}`);
  }
  const m = createModel(desc.arch, { ...desc.options, widths: desc.widths });
  const got = m.describe().widths;
  const want = Object.keys(desc.widths);
  const missing = Object.keys(got).filter((k) => !(k in desc.widths));
  if (missing.length || want.length !== Object.keys(got).length) {
    m.dispose();
    fail('modelFromDescription', `description of '${desc.arch}' lacks widths for units: ${missing.join(', ')}`);
  }
  return m;
}

/**
 * Explicit per-unit widths from a list in the architecture's unit order (`--widths a,b,…`): one positive
 * integer per conv-BN unit, topological order, as `describe().widths` lists them. Builds the default
 * model once to learn the unit names. `where` names the option in errors.
 */
export function widthsFromList(name: string, options: Omit<ModelOptions, 'widths'>, list: readonly number[], where = 'widths'): Record<string, number> {
  const probe = createModel(name, options);
  const units = Object.keys(probe.describe().widths);
  probe.dispose();
  if (list.length !== units.length) {
    fail(where, `${name} has ${units.length} conv-BN units (${units.join(', ')}), expected ${units.length} widths, got ${list.length} (${list.join(',')})`);
  }
  const bad = list.findIndex((w) => !Number.isSafeInteger(w) || w < 1);
  if (bad >= 0) fail(where, `expected positive integers, got ${list[bad]} for unit ${units[bad]} (position ${bad + 1})`);
  return Object.fromEntries(units.map((u, i) => [u, list[i]]));
}
