"""PyTorch equivalents of the rejuv model zoo (src/nn/models), module for module, and the NR modes of
a rejuvenated network: the one PyTorch model module of the repository.

The state-dict names and shapes of these modules are what rejuv's `stateDict()` must produce
(test/nn.test.ts checks them against test/goldens/nn.json, written by scripts/goldens/nn.py), and
a rejuv checkpoint loads into them by name (scripts/rejuv_ckpt.py maps a checkpoint file onto them).
Architectures: docs/method.md §12.1 (post-activation units conv -> BN -> ReLU, bias-free convs, GAP + Linear
classifier). `init_like_rejuv` applies the same initialization *distributions* as rejuv (docs/method.md §12.2;
the random generators differ, so not the same values).

After Neural Rejuvenation's surgery (src/rejuv/surgery.ts, schemes.ts, heads.ts) rejuv runs the
wider network in one of two modes, rebuilt here from the stored `Split` by `install_split`:
- Scheme A: every conv whose input is split multiplies its weight by the block-diagonal mask (1 on
  S->S and R->R, 0 on the cross blocks) in forward, so the cross blocks neither act nor get a gradient;
- Scheme B: cross-attention O = P + X * 2*sigmoid(P), P = conv(x, W*M), X = conv(x, W*(1-M));
- both: two heads sharing the classifier bias, z_S = fc(f*m_S), z_R = fc(f*(1-m_S)); the model's
  forward returns z_S + z_R, the prediction `rejuv eval` reports. The masks are non-persistent
  buffers, so the state dict stays exactly rejuv's.

Run with Debian's interpreter: /usr/bin/python3 (python3-torch 1.13).
"""
import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

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
MODEL_NAMES = [*VGG_CFGS, *RESNET_SPECS, *DENSENET_SPECS]


class Widths:
    """Default widths scaled by the multiplier (JS Math.round, at least 1) unless given explicitly.
    Records every unit name asked for, in order (`asked`): the model's unit list, deleted DenseNet
    layers included, which is what rejuv's `describe().widths` lists."""

    def __init__(self, mult=1.0, explicit=None):
        self.mult = mult
        self.explicit = explicit or {}
        self.asked = []

    def __call__(self, name, base):
        self.asked.append(name)
        if name in self.explicit:
            return self.explicit[name]
        return max(1, int(math.floor(base * self.mult + 0.5)))


class Conv2d(nn.Conv2d):
    """nn.Conv2d with rejuv's post-surgery modes (see the module docstring). `nr_mask` is the
    block-diagonal mask in the weight's shape (None: a plain conv), `nr_scheme` 'a' or 'b'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer('nr_mask', None, persistent=False)
        self.nr_scheme = None

    def forward(self, x):
        if self.nr_mask is None:
            return super().forward(x)
        p = self._conv_forward(x, self.weight * self.nr_mask, self.bias)
        if self.nr_scheme == 'a':
            return p
        cross = self._conv_forward(x, self.weight * (1 - self.nr_mask), None)
        return p + cross * (torch.sigmoid(p) * 2)


class ZooModel(nn.Module):
    """What every zoo model shares: `pooled(x)` is the feature vector [N, C] the classifier reads,
    `head` the final Linear; after surgery (`classifier_s` set) `heads(x)` gives z_S and z_R."""

    head_name = 'classifier'

    def __init__(self):
        super().__init__()
        self.unit_names = []  # every unit name in rejuv's describe() order (set by the subclass)
        self.register_buffer('classifier_s', None, persistent=False)

    @property
    def head(self):
        return getattr(self, self.head_name)

    def pooled(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.body(x), 1), 1)

    def heads(self, x):
        """(z, None) for a plain network; (z_S, z_R) after surgery, both with the one shared bias."""
        f = self.pooled(x)
        if self.classifier_s is None:
            return self.head(f), None
        return self.head(f * self.classifier_s), self.head(f * (1 - self.classifier_s))

    def forward(self, x, heads=False):
        zs, zr = self.heads(x)
        if heads:
            return zs, zr
        return zs if zr is None else zs + zr

    def nr_units(self):
        """[(name, conv, bn)] of every built conv-BN unit in topological order (rejuv's nrUnits()):
        each conv of these models is directly followed by its batch norm in module order."""
        mods = list(self.named_modules())
        out = []
        for i, (name, m) in enumerate(mods):
            if isinstance(m, nn.Conv2d):
                bn = mods[i + 1][1] if i + 1 < len(mods) else None
                if not isinstance(bn, _BatchNorm):
                    raise ValueError(f'{type(self).__name__}: conv {name} is not followed by a batch norm')
                out.append((name, m, bn))
        return out


class VGG(ZooModel):
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
                layers += [Conv2d(c, out, k, padding=1 if k == 3 else 0, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)
        self.unit_names = list(w.asked)

    def body(self, x):
        return self.features(x)


class Block(nn.Module):
    def __init__(self, convs, downsample):
        super().__init__()
        self.n = len(convs)
        for i, (cin, cout, k, s, p) in enumerate(convs):
            setattr(self, f'conv{i + 1}', Conv2d(cin, cout, k, stride=s, padding=p, bias=False))
            setattr(self, f'bn{i + 1}', nn.BatchNorm2d(cout))
        self.downsample = None
        if downsample is not None:
            cin, cout, s = downsample
            self.downsample = nn.Sequential(Conv2d(cin, cout, 1, stride=s, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = x
        for i in range(self.n):
            y = getattr(self, f'bn{i + 1}')(getattr(self, f'conv{i + 1}')(y))
            if i < self.n - 1:
                y = F.relu(y)
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet(ZooModel):
    head_name = 'fc'

    def __init__(self, arch, in_channels=3, num_classes=10, w=Widths()):
        super().__init__()
        block, counts, planes_list, imagenet = RESNET_SPECS[arch]
        exp = 4 if block == 'bottleneck' else 1
        stem = w('conv1', 64 if imagenet else 16)
        self.conv1 = Conv2d(in_channels, stem, 7 if imagenet else 3, stride=2 if imagenet else 1, padding=3 if imagenet else 1, bias=False)
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
        self.unit_names = list(w.asked)

    def body(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        if self.maxpool is not None:
            y = self.maxpool(y)
        for s in range(self.nstages):
            y = getattr(self, f'layer{s + 1}')(y)
        return y


def _unit(cin, cout, k, s, p, suffix):
    return [(f'conv{suffix}', Conv2d(cin, cout, k, stride=s, padding=p, bias=False)),
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


class DenseNet(ZooModel):
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
        self.unit_names = list(w.asked)

    def body(self, x):
        return self.features(x)


def init_like_rejuv(model, gamma=None):
    """rejuv's initialization (src/nn/models/common.ts, docs/method.md §12.2), in distribution: convs He normal
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
    raise ValueError(f'unknown model {name!r} (known: {", ".join(MODEL_NAMES)})')


def from_description(desc):
    """Build from a rejuv `model.describe()` JSON object (what checkpoints store)."""
    o = desc['options']
    return create_model(desc['arch'], o['widthMultiplier'], o['inChannels'], o['numClasses'], desc['widths'])


def split_problems(model, split):
    """Why `split` (rejuv's Split: aOut, aIn, splitIn, inPerm, classifierS) cannot describe `model`, as
    [(field, message)]; [] when it fits. Every array has one entry per built NR unit, in nrUnits() order."""
    units = model.nr_units()
    n = len(units)
    out = []
    for key in ('aOut', 'aIn', 'splitIn', 'inPerm'):
        v = split.get(key)
        if not isinstance(v, list) or len(v) != n:
            out.append((key, f'expected a list of {n} entries (one per conv-BN unit: {", ".join(u[0] for u in units[:4])}{"…" if n > 4 else ""}), '
                             f'got {type(v).__name__}{f" of {len(v)}" if isinstance(v, list) else ""}'))
    if out:
        return out
    for l, (name, conv, _) in enumerate(units):
        a_out, a_in, perm = split['aOut'][l], split['aIn'][l], split['inPerm'][l]
        if not (isinstance(a_out, int) and 0 <= a_out <= conv.out_channels):
            out.append((f'aOut[{l}]', f'unit {name}: {a_out!r} survived outputs, the conv has {conv.out_channels}'))
        if not (isinstance(a_in, int) and 0 <= a_in <= conv.in_channels):
            out.append((f'aIn[{l}]', f'unit {name}: {a_in!r} survived inputs, the conv reads {conv.in_channels} channels'))
        if perm is not None and sorted(perm) != list(range(conv.in_channels)):
            out.append((f'inPerm[{l}]', f'unit {name}: not a permutation of its {conv.in_channels} input channels'))
    cs = split.get('classifierS')
    nf = model.head.in_features
    if not (isinstance(cs, list) and len(cs) == nf and all(v in (0, 1) for v in cs)):
        out.append(('classifierS', f'expected {nf} entries of 0 or 1 (one per classifier input), got {cs if not isinstance(cs, list) else f"a list of {len(cs)}"}'))
    return out


def install_split(model, split, scheme='a'):
    """Rebuild rejuv's post-surgery modes from the stored split (src/rejuv/surgery.ts installMasks,
    schemes.ts installScheme): the block-diagonal mask on every conv whose input is split, Scheme A
    (masked weights) or B (cross-attention), and the two heads. Checks the split first (ValueError)."""
    if scheme not in ('a', 'b'):
        raise ValueError(f"scheme must be 'a' or 'b', got {scheme!r}")
    bad = split_problems(model, split)
    if bad:
        raise ValueError('; '.join(f'split.{f}: {m}' for f, m in bad))
    for l, (_, conv, _) in enumerate(model.nr_units()):
        if not split['splitIn'][l]:
            conv.nr_mask, conv.nr_scheme = None, None
            continue
        w = conv.weight
        rows_s = torch.arange(conv.out_channels, device=w.device) < split['aOut'][l]
        perm = split['inPerm'][l]
        logical = torch.tensor(perm, device=w.device) if perm is not None else torch.arange(conv.in_channels, device=w.device)
        cols_s = logical < split['aIn'][l]  # physical column j holds logical channel perm[j]
        m = (rows_s[:, None] == cols_s[None, :]).to(w.dtype)  # S->S and R->R
        conv.nr_mask = m[:, :, None, None].expand_as(w).contiguous()
        conv.nr_scheme = scheme
    model.classifier_s = torch.tensor(split['classifierS'], dtype=model.head.weight.dtype, device=model.head.weight.device)[None, :]
    return model


def cross_block_max(model):
    """max |W ⊙ (1 − M)| over the masked convs of a Scheme A model (0.0: the cross blocks are exactly 0)."""
    m = 0.0
    for _, conv, _ in model.nr_units():
        if conv.nr_mask is not None and conv.nr_scheme == 'a':
            m = max(m, float((conv.weight.detach() * (1 - conv.nr_mask)).abs().max()))
    return m
