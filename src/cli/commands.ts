/** The command tables of `rejuv`: one place for names, defaults and help. */
import { DATASET_NAMES } from '../data/types.js';
import { DEFAULT_CONFIG } from '../train/config.js';
import { getExtensions } from './extensions.js';
import type { CommandSpec, OptionSpec } from './options.js';
import { DEMO } from './demo-regime.js';
import { PROFILE_COMMAND } from './profile.js';

const D = DEFAULT_CONFIG;

export const TRAIN_OPTIONS: OptionSpec[] = [
  { name: 'model', type: 'string', required: true, metavar: 'NAME', help: 'architecture: vgg_mini, vgg19, vgg16_nr, resnet20, resnet164, resnet18…, densenet…' },
  { name: 'width', type: 'number', default: D.width, metavar: 'W', help: 'width multiplier of every layer' },
  { name: 'dataset', type: 'string', required: true, choices: DATASET_NAMES, help: 'dataset' },
  { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'dataset directory (IDX files, plain or .gz; CIFAR binary files); MNIST defaults to the embedded copy, Fashion-MNIST to /usr/share/datasets/fashion-mnist' },
  { name: 'epochs', type: 'int', default: D.epochs, metavar: 'N', help: 'epochs of the nominal schedule' },
  { name: 'batch-size', type: 'int', default: D.batchSize, metavar: 'B', help: 'batch size' },
  { name: 'lr', type: 'number', default: D.lr, help: 'initial learning rate' },
  { name: 'momentum', type: 'number', default: D.momentum, help: 'SGD momentum' },
  { name: 'nesterov', type: 'boolean', help: 'Nesterov momentum' },
  { name: 'weight-decay', type: 'number', default: D.weightDecay, help: 'L2 weight decay (every parameter, as the paper)' },
  { name: 'schedule', type: 'string', default: D.schedule, choices: ['multistep', 'cosine'], help: 'learning-rate schedule' },
  { name: 'milestones', type: 'numbers', metavar: 'E1,E2', help: 'multistep: epochs where the LR is multiplied by --gamma (default: 50% and 75% of --epochs)' },
  { name: 'gamma', type: 'number', default: D.gamma, help: 'multistep: LR factor at each milestone' },
  { name: 'seed', type: 'int', default: D.seed, help: 'seed of initialization, data order and augmentation' },
  { name: 'out', type: 'string', required: true, metavar: 'DIR', help: 'output directory: checkpoint.safetensors, metrics.jsonl, report.html' },
  { name: 'resume', type: 'boolean', help: 'continue the run in DIR from DIR/checkpoint.safetensors (identical to an uninterrupted run); an error when DIR holds no checkpoint' },
  { name: 'overwrite', type: 'boolean', help: 'replace the run DIR holds (its checkpoint, metrics and report are deleted once the new run has started); without --resume or --overwrite a DIR holding a run is refused' },
  { name: 'train-limit', type: 'int', metavar: 'N', help: 'use the first N training images' },
  { name: 'test-limit', type: 'int', metavar: 'N', help: 'use the first N test images' },
  { name: 'train-subset', type: 'int', metavar: 'N', help: 'use a seeded random subset of N training images: the same images for every run, and for MNIST and Fashion-MNIST, given N and --subset-seed (excludes --train-limit)' },
  { name: 'subset-seed', type: 'int', metavar: 'S', help: 'seed of --train-subset, independent of --seed (default: 0)' },
  { name: 'widths', type: 'numbers', metavar: 'W1,W2,…', help: "explicit width of every conv-BN unit, in the model's order (rejuv inspect lists the units); instead of --width" },
  { name: 'backend', type: 'string', default: 'webgpu', choices: ['webgpu', 'cpu'], help: "'cpu' runs the plain-TypeScript reference backend" },
];

export function commands(): Record<string, CommandSpec> {
  const ext = getExtensions();
  return {
    train: {
      name: 'train',
      summary: 'Train a model; writes DIR/checkpoint.safetensors every epoch, DIR/metrics.jsonl and DIR/report.html.',
      options: [...TRAIN_OPTIONS, ...ext.flatMap((e) => e.options)],
      notes: ext.length ? `Options from extensions: ${ext.map((e) => `${e.name} (${e.options.map((o) => `--${o.name}`).join(', ')})`).join('; ')}.` : undefined,
    },
    eval: {
      name: 'eval',
      summary: "Evaluate a checkpoint on its dataset's test split (CKPT may be a pair folder from `rejuv export --split`: its prediction S(x) + R(x)).",
      positionals: ['ckpt'],
      options: [
        { name: 'data-dir', type: 'string', metavar: 'DIR', help: "dataset directory (default: the one the run used)" },
        { name: 'test-limit', type: 'int', metavar: 'N', help: 'use the first N test images (default: as the run)' },
        { name: 'batch-size', type: 'int', metavar: 'B', help: 'batch size (default: as the run)' },
        { name: 'dump-logits', type: 'string', metavar: 'FILE', help: 'also write the first batch (input, labels, logits) to FILE as safetensors (scripts/check_torch_load.py reads it)' },
        { name: 'json', type: 'boolean', help: 'print JSON' },
        { name: 'backend', type: 'string', default: 'webgpu', choices: ['webgpu', 'cpu'], help: 'backend' },
      ],
    },
    inspect: {
      name: 'inspect',
      summary: 'Describe a checkpoint (architecture, every layer’s width, run state, last metrics; no device needed) or a pair folder from `rejuv export --split`.',
      positionals: ['ckpt'],
      options: [{ name: 'json', type: 'boolean', help: 'print JSON' }],
    },
    export: {
      name: 'export',
      summary: 'Split a rejuvenated Scheme A network into two ordinary narrow networks S and R whose summed logits are its own: OUT/survived.safetensors, OUT/rejuvenated.safetensors, OUT/pair.json.',
      positionals: ['ckpt', 'out'],
      options: [
        { name: 'split', type: 'boolean', help: 'the split for deployment (the only export; required)' },
        { name: 'check-images', type: 'int', default: 4, metavar: 'N', help: "compare the pair's summed logits with the masked network's on N random images before writing (0: skip)" },
        { name: 'overwrite', type: 'boolean', help: 'replace the pair OUT already holds' },
        { name: 'json', type: 'boolean', help: "print pair.json's content" },
        { name: 'backend', type: 'string', default: 'webgpu', choices: ['webgpu', 'cpu'], help: 'backend of the check' },
      ],
    },
    profile: PROFILE_COMMAND,
    demo: {
      name: 'demo',
      summary: `The embedded default: a small VGG on an MNIST subset${ext.some((e) => e.demo) ? `, baseline and ${ext.filter((e) => e.demo).map((e) => e.demo!.label).join(', ')} side by side` : ''}; prints a summary table and where the reports are.`,
      options: [
        { name: 'out', type: 'string', default: 'runs/demo', metavar: 'DIR', help: 'output directory (one sub-directory per variant)' },
        { name: 'epochs', type: 'int', default: DEMO.epochs, metavar: 'N', help: 'nominal epochs (NR adds its monitoring epochs)' },
        { name: 'width', type: 'number', default: DEMO.width, metavar: 'W', help: 'width multiplier of vgg_mini' },
        { name: 'train-limit', type: 'int', default: DEMO.trainLimit, metavar: 'N', help: 'training images (the first N)' },
        { name: 'test-limit', type: 'int', default: DEMO.testLimit, metavar: 'N', help: 'test images' },
        { name: 'seed', type: 'int', default: DEMO.seed, help: 'seed (init and batch order)' },
        { name: 'lambda', type: 'number', default: DEMO.lambda, metavar: 'L', help: "the variants' sparsity λ (NR: constant per step)" },
        { name: 'monitor-epochs', type: 'int', default: DEMO.monitorEpochs, metavar: 'N', help: "the variants' cap on monitoring epochs (NR: surgery forced after N)" },
        { name: 'baseline-only', type: 'boolean', help: 'skip the variants extensions add' },
        { name: 'backend', type: 'string', default: 'webgpu', choices: ['webgpu', 'cpu'], help: 'backend' },
      ],
    },
  };
}
