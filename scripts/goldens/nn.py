"""Golden fixture for test/nn.test.ts and test/models.test.ts: PyTorch state-dict names/shapes and
parameter counts of the model zoo's equivalents (scripts/torch_models.py), and forward values of
two tiny models with given weights.

Run: /usr/bin/python3 scripts/goldens/nn.py   (writes test/goldens/nn.json)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import torch_models as tm  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)

out = {'stateDicts': [], 'paramCounts': {}, 'forward': []}

# State-dict keys and shapes of small versions (what rejuv's stateDict() must list, in order).
small = [
    ('vgg19', dict(width_multiplier=0.125, in_channels=1, num_classes=10)),
    ('vgg16_nr', dict(width_multiplier=1 / 16, in_channels=3, num_classes=7)),
    ('resnet164', dict(width_multiplier=0.25, in_channels=3, num_classes=10)),
    ('resnet18', dict(width_multiplier=0.125, in_channels=3, num_classes=5)),
    ('resnet50', dict(width_multiplier=0.125, in_channels=3, num_classes=5)),
    ('densenet_bc100', dict(width_multiplier=0.125, in_channels=3, num_classes=10)),
    ('densenet121', dict(width_multiplier=0.125, in_channels=3, num_classes=4)),
    ('densenet_bc100', dict(width_multiplier=0.125, in_channels=3, num_classes=10,
                            widths={'features.denseblock1.denselayer1.conv1': 0, 'features.denseblock2.denselayer3.conv2': 0,
                                    'features.denseblock2.denselayer4.conv2': 7, 'features.transition2.conv': 13})),
    ('vgg_mini', dict(width_multiplier=1, in_channels=3, num_classes=10,
                      widths={'features.0': 5, 'features.3': 7, 'features.7': 9, 'features.10': 3, 'features.14': 11, 'features.17': 6})),
]
for name, kw in small:
    m = tm.create_model(name, **kw)
    sd = m.state_dict()
    out['stateDicts'].append({
        'arch': name,
        'options': {'widthMultiplier': kw['width_multiplier'], 'inChannels': kw['in_channels'], 'numClasses': kw['num_classes']},
        'widths': kw.get('widths', {}),
        'keys': [[k, list(v.shape), str(v.dtype).replace('torch.', '')] for k, v in sd.items()],
        'numParameters': sum(p.numel() for p in m.parameters()),
    })

# sum(p.numel()) of the full-size models: conv weights + BN (gamma, beta) + classifier (W, b);
# buffers (running stats, counters) are not parameters.
for name in list(tm.VGG_CFGS) + list(tm.RESNET_SPECS) + list(tm.DENSENET_SPECS):
    out['paramCounts'][name] = sum(p.numel() for p in tm.create_model(name).parameters())


def flat(t):
    # float32 values need 9 significant digits to round-trip.
    return [float('%.9g' % v) for v in t.detach().reshape(-1).tolist()]


# Forward values of tiny models with random weights (and non-trivial BN statistics): logits in train
# mode (batch statistics; the running statistics update is also recorded) and then in eval mode.
tiny = [
    ('vgg_mini', dict(width_multiplier=0.25, in_channels=3, num_classes=5), 16),
    ('resnet20', dict(width_multiplier=0.125, in_channels=3, num_classes=4), 12),
    ('densenet_bc100', dict(width_multiplier=0.025, in_channels=1, num_classes=3), 8),
]
for name, kw, size in tiny:
    m = tm.create_model(name, **kw)
    with torch.no_grad():
        for k, v in m.state_dict().items():
            if v.dtype == torch.float32:
                if k.endswith('running_var'):
                    v.copy_(torch.rand_like(v) + 0.5)
                elif k.endswith('running_mean'):
                    v.copy_(torch.randn_like(v) * 0.1)
                elif k.endswith('.weight') and v.dim() == 1:
                    v.copy_(torch.rand_like(v) + 0.5)
                else:
                    v.copy_(torch.randn_like(v) * (1.0 / max(1, v[0].numel()) ** 0.5))
    before = {k: flat(v) for k, v in m.state_dict().items()}
    x = torch.randn(2, kw['in_channels'], size, size)
    m.train()
    with torch.no_grad():
        y_train = m(x)
    after = {k: flat(v) for k, v in m.state_dict().items() if 'running' in k or 'num_batches' in k}
    m.eval()
    with torch.no_grad():
        y_eval = m(x)
    out['forward'].append({
        'arch': name,
        'options': {'widthMultiplier': kw['width_multiplier'], 'inChannels': kw['in_channels'], 'numClasses': kw['num_classes'], 'inputSize': size},
        'state': before,
        'x': flat(x), 'xShape': list(x.shape),
        'logitsTrain': flat(y_train), 'logitsEval': flat(y_eval),
        'buffersAfterTrain': after,
    })

path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'goldens', 'nn.json')
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes')
