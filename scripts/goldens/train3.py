"""PyTorch fixture for test/train3.test.ts: a 3-layer conv net trained 20 SGD steps on fixed data.

Run with Debian's interpreter (python3-torch 1.13):
    /usr/bin/python3 scripts/goldens/train3.py       # writes test/goldens/train3.json

Net: conv3x3(3→6, pad 1) → BN → ReLU → conv3x3(6→8, stride 2, pad 1) → BN → ReLU → maxpool 2
     → flatten → linear(8·2·2 → 5). Cross-entropy (label smoothing 0.1), SGD lr 0.05, momentum 0.9,
     nesterov off, weight decay 5e-4 on every parameter. All in float32, as a training run is.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)
g = torch.Generator().manual_seed(2024)

N, C, H, W, K = 8, 3, 8, 8, 5


def init(*shape, fan_in):
    return (torch.randn(*shape, generator=g) * (2.0 / fan_in) ** 0.5).float()


params = {
    "conv1.weight": init(6, 3, 3, 3, fan_in=27),
    "conv1.bias": (torch.randn(6, generator=g) * 0.1).float(),
    "bn1.weight": (1 + 0.1 * torch.randn(6, generator=g)).float(),
    "bn1.bias": (0.1 * torch.randn(6, generator=g)).float(),
    "conv2.weight": init(8, 6, 3, 3, fan_in=54),
    "conv2.bias": (torch.randn(8, generator=g) * 0.1).float(),
    "bn2.weight": (1 + 0.1 * torch.randn(8, generator=g)).float(),
    "bn2.bias": (0.1 * torch.randn(8, generator=g)).float(),
    "fc.weight": init(K, 32, fan_in=32),
    "fc.bias": torch.zeros(K),
}
initial = {k: v.clone() for k, v in params.items()}
for v in params.values():
    v.requires_grad_(True)
buffers = {"bn1.running_mean": torch.zeros(6), "bn1.running_var": torch.ones(6),
           "bn2.running_mean": torch.zeros(8), "bn2.running_var": torch.ones(8)}

x = torch.randn(N, C, H, W, generator=g).float()
labels = torch.randint(0, K, (N,), generator=g)


def forward(p):
    h = F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1)
    h = F.relu(F.batch_norm(h, buffers["bn1.running_mean"], buffers["bn1.running_var"], p["bn1.weight"], p["bn1.bias"], training=True))
    h = F.conv2d(h, p["conv2.weight"], p["conv2.bias"], stride=2, padding=1)
    h = F.relu(F.batch_norm(h, buffers["bn2.running_mean"], buffers["bn2.running_var"], p["bn2.weight"], p["bn2.bias"], training=True))
    h = F.max_pool2d(h, 2)
    return F.linear(torch.flatten(h, 1), p["fc.weight"], p["fc.bias"])


opt = torch.optim.SGD(list(params.values()), lr=0.05, momentum=0.9, weight_decay=5e-4)
losses = []
for step in range(20):
    opt.zero_grad()
    loss = F.cross_entropy(forward(params), labels, label_smoothing=0.1)
    loss.backward()
    opt.step()
    losses.append(float(loss))


def t(v):
    return {"shape": list(v.shape), "data": [float(a) for a in v.detach().flatten().tolist()]}


out = {"x": t(x), "labels": labels.tolist(), "params": {k: t(v) for k, v in initial.items()}, "losses": losses,
       "final": {k: t(v) for k, v in params.items()}, "buffers": {k: t(v) for k, v in buffers.items()}}
path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "goldens", "train3.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path), "losses", [round(l, 4) for l in losses])
