"""PyTorch equivalents of the rejuv model zoo (src/nn/models), module for module.

The state-dict names and shapes of these modules are what rejuv's `stateDict()` must produce
(test/nn.test.ts checks them against test/goldens/nn.json, written by scripts/goldens/nn.py), and
a rejuv checkpoint loads into them by name. Architectures: nr-spec §5.3 (post-activation units
conv -> BN -> ReLU, bias-free convs, GAP + Linear classifier). `init_like_rejuv` applies the same
initialization *distributions* as rejuv (spec §5.1; the random generators differ, so not the same
values); `VGG.nr_units` / `VGG.pooled` are what scripts/torch_twin.py's Neural Rejuvenation needs.

Run with Debian's interpreter: /usr/bin/python3 (python3-torch 1.13).
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

VGG_CFGS = {
    'vgg19': [64, 64, 128, 128, 'M', 256, 256, 256, 256, 512, 512, 'M', 512, 512, 512, 512, 512, 512],
    'vgg16_nr': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'A', 'F4096', 'F4096'],
    'vgg_mini': [16, 16, 'M', 32, 32, 'M', 64, 64],
}
RESNET_SPECS = {
    'resnet20': ('basic', [3, 3, 3], [16, 32, 64], False),
    'resnet164': ('bottleneck', [18, 18, 18], [16, 32, 64], False),
    'resnet18': ('basic', [2, 2, 2, 2], [64, 128, 256, 512], True),
    'resnet34': ('basic', [3, 4, 6, 3], [64, 128, 256, 512], True),
    'resnet50': ('bottleneck', [3, 4, 6, 3], [64, 128, 256, 512], True),
    'resnet101': ('bottleneck', [3, 4, 23, 3], [64, 128, 256, 512], True),
}
DENSENET_SPECS = {
    'densenet_bc100': (40, [16, 16, 16], False),
    'densenet121': (32, [6, 12, 24, 16], True),
}
IMAGENET = {'vgg16_nr', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'densenet121'}


class Widths:
    """Default widths scaled by the multiplier (JS Math.round, at least 1) unless given explicitly."""

    def __init__(self, mult=1.0, explicit=None):
        self.mult = mult
        self.explicit = explicit or {}

    def __call__(self, name, base):
        if name in self.explicit:
            return self.explicit[name]
        import math
        return max(1, int(math.floor(base * self.mult + 0.5)))


class VGG(nn.Module):
    def __init__(self, arch, in_channels=3, num_classes=10, w=Widths()):
        super().__init__()
        layers, c = [], in_channels
        for item in VGG_CFGS[arch]:
            if item == 'M':
                layers.append(nn.MaxPool2d(2, 2))
            elif item == 'A':
                layers.append(nn.AdaptiveAvgPool2d(1))
            else:
                k = 3 if isinstance(item, int) else 1
                base = item if isinstance(item, int) else int(item[1:])
                out = w(f'features.{len(layers)}', base)
                layers += [nn.Conv2d(c, out, k, padding=1 if k == 3 else 0, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def pooled(self, x):
        """The feature vector [N, C] the classifier reads (global average pooling of the last unit)."""
        return torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1)

    def forward(self, x):
        return self.classifier(self.pooled(x))

    def nr_units(self):
        """[(name, conv, bn)] of every conv-BN unit in topological order (a VGG chain: none is fixed)."""
        f = self.features
        return [(f'features.{i}', f[i], f[i + 1]) for i in range(len(f)) if isinstance(f[i], nn.Conv2d)]


class Block(nn.Module):
    def __init__(self, convs, downsample):
        super().__init__()
        self.n = len(convs)
        for i, (cin, cout, k, s, p) in enumerate(convs):
            setattr(self, f'conv{i + 1}', nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=False))
            setattr(self, f'bn{i + 1}', nn.BatchNorm2d(cout))
        self.downsample = None
        if downsample is not None:
            cin, cout, s = downsample
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=s, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = x
        for i in range(self.n):
            y = getattr(self, f'bn{i + 1}')(getattr(self, f'conv{i + 1}')(y))
            if i < self.n - 1:
                y = F.relu(y)
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, arch, in_channels=3, num_classes=10, w=Widths()):
        super().__init__()
        block, counts, planes_list, imagenet = RESNET_SPECS[arch]
        exp = 4 if block == 'bottleneck' else 1
        stem = w('conv1', 64 if imagenet else 16)
        self.conv1 = nn.Conv2d(in_channels, stem, 7 if imagenet else 3, stride=2 if imagenet else 1, padding=3 if imagenet else 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if imagenet else None
        c = stem
        for s, (count, planes) in enumerate(zip(counts, planes_list)):
            blocks = []
            for b in range(count):
                p = f'layer{s + 1}.{b}'
                stride = 2 if (b == 0 and s > 0) else 1
                w1 = w(f'{p}.conv1', planes)
                if block == 'basic':
                    w2 = w(f'{p}.conv2', planes)
                    convs = [(c, w1, 3, stride, 1), (w1, w2, 3, 1, 1)]
                else:
                    w2 = w(f'{p}.conv2', planes)
                    w3 = w(f'{p}.conv3', planes * exp)
                    convs = [(c, w1, 1, 1, 0), (w1, w2, 3, stride, 1), (w2, w3, 1, 1, 0)]
                out = convs[-1][1]
                needs = stride != 1 or (b == 0 and planes * exp != (64 if imagenet else 16))
                ds = (c, w(f'{p}.downsample.0', planes * exp), stride) if needs else None
                blocks.append(Block(convs, ds))
                c = out
            setattr(self, f'layer{s + 1}', nn.Sequential(*blocks))
        self.nstages = len(counts)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            y = self.maxpool(y)
        for s in range(self.nstages):
            y = getattr(self, f'layer{s + 1}')(y)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def _unit(cin, cout, k, s, p, suffix):
    return [(f'conv{suffix}', nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=False)),
            (f'norm{suffix}', nn.BatchNorm2d(cout)), (f'relu{suffix}', nn.ReLU(inplace=True))]


class DenseBlock(nn.Module):
    def __init__(self, layers):
        super().__init__()
        for name, layer in layers:
            self.add_module(name, layer)

    def forward(self, x):
        for layer in self.children():
            x = torch.cat([x, layer(x)], 1)
        return x


class DenseNet(nn.Module):
    def __init__(self, arch, in_channels=3, num_classes=10, w=Widths()):
        super().__init__()
        k, counts, imagenet = DENSENET_SPECS[arch]
        base = 64 if imagenet else 2 * k
        c = w('features.conv0', base)
        feats = _unit(in_channels, c, 7 if imagenet else 3, 2 if imagenet else 1, 3 if imagenet else 1, '0')
        if imagenet:
            feats.append(('pool0', nn.MaxPool2d(3, 2, 1)))
        for bi, count in enumerate(counts):
            layers = []
            for l in range(count):
                n = f'features.denseblock{bi + 1}.denselayer{l + 1}'
                w1 = w(f'{n}.conv1', 4 * k)
                w2 = w(f'{n}.conv2', k)
                base += k
                if w1 == 0 or w2 == 0:  # a deleted (whole-dead) layer: not built
                    continue
                layers.append((f'denselayer{l + 1}', nn.Sequential(OrderedDict(_unit(c, w1, 1, 1, 0, '1') + _unit(w1, w2, 3, 1, 1, '2')))))
                c += w2
            feats.append((f'denseblock{bi + 1}', DenseBlock(layers)))
            if bi < len(counts) - 1:
                base //= 2
                t = w(f'features.transition{bi + 1}.conv', base)
                feats.append((f'transition{bi + 1}', nn.Sequential(OrderedDict(_unit(c, t, 1, 1, 0, '') + [('pool', nn.AvgPool2d(2, 2))]))))
                c = t
        self.features = nn.Sequential(OrderedDict(feats))
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


def init_like_rejuv(model, gamma=None):
    """rejuv's initialization (src/nn/models/common.ts, spec §5.1), in distribution: convs He normal
    fan-out N(0, 2/(k·k·C_out)); BN γ = 0.5 for VGG models, 1 otherwise, β = 0, running stats 0 / 1;
    Linear classifier N(0, 0.01²), bias 0."""
    if gamma is None:
        gamma = 0.5 if isinstance(model, VGG) else 1.0
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1]
            nn.init.normal_(m.weight, 0.0, (2.0 / (k * m.out_channels)) ** 0.5)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, gamma)
            nn.init.zeros_(m.bias)
            m.reset_running_stats()
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    return model


def create_model(name, width_multiplier=1.0, in_channels=3, num_classes=None, widths=None):
    """The equivalent of rejuv's createModel(name, options) (structure only)."""
    if num_classes is None:
        num_classes = 1000 if name in IMAGENET else 10
    w = Widths(width_multiplier, widths)
    if name in VGG_CFGS:
        return VGG(name, in_channels, num_classes, w)
    if name in RESNET_SPECS:
        return ResNet(name, in_channels, num_classes, w)
    if name in DENSENET_SPECS:
        return DenseNet(name, in_channels, num_classes, w)
    raise ValueError(f'unknown model {name}')


def from_description(desc):
    """Build from a rejuv `model.describe()` JSON object (what checkpoints store)."""
    o = desc['options']
    return create_model(desc['arch'], o['widthMultiplier'], o['inChannels'], o['numClasses'], desc['widths'])
