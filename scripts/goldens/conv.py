"""PyTorch goldens for conv2d: forward values and all gradients for several stride / padding /
dilation / kernel combinations. Run with Debian's interpreter: /usr/bin/python3 scripts/goldens/conv.py
Writes test/goldens/conv.json. Inputs are drawn here (seeded) and stored alongside the results."""
import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(20261125)

# name, N, Ci, Co, H, W, (kh, kw), stride, padding, dilation, bias
CASES = [
    ('3x3 s1 p1', 2, 3, 5, 7, 6, (3, 3), 1, 1, 1, True),
    ('3x3 s2 p1 odd', 1, 5, 6, 9, 7, (3, 3), 2, 1, 1, True),
    ('1x1 s1 p0', 2, 6, 7, 5, 3, (1, 1), 1, 0, 1, False),
    ('1x1 s2 p0', 3, 4, 5, 7, 8, (1, 1), 2, 0, 1, True),
    ('5x5 s1 p2 d1', 1, 2, 3, 8, 11, (5, 5), 1, 2, 1, True),
    ('7x7 s2 p3', 2, 3, 4, 13, 10, (7, 7), 2, 3, 1, False),
    ('3x3 d2 p2', 1, 4, 3, 9, 9, (3, 3), 1, 2, 2, True),
    ('3x5 s(2,1) p(0,2) d(1,2)', 2, 3, 2, 6, 9, (3, 5), (2, 1), (0, 2), (1, 2), True),
    ('3x3 s1 p0 batch1', 1, 1, 1, 4, 5, (3, 3), 1, 0, 1, False),
]

out = []
for name, n, ci, co, h, w, (kh, kw), s, p, d, has_b in CASES:
    x = torch.randn(n, ci, h, w, dtype=torch.float64, requires_grad=True)
    wt = (torch.randn(co, ci, kh, kw, dtype=torch.float64) * 0.5).requires_grad_(True)
    b = torch.randn(co, dtype=torch.float64, requires_grad=True) if has_b else None
    # Round inputs to float32 so the JSON holds exactly what the tests upload.
    with torch.no_grad():
        x.copy_(x.float().double()); wt.copy_(wt.float().double())
        if b is not None:
            b.copy_(b.float().double())
    y = F.conv2d(x, wt, b, stride=s, padding=p, dilation=d)
    dy = torch.randn_like(y).float().double()
    y.backward(dy)
    pair = lambda v: list(v) if isinstance(v, tuple) else [v, v]
    out.append({
        'name': name,
        'xShape': list(x.shape), 'x': x.detach().flatten().tolist(),
        'wShape': list(wt.shape), 'w': wt.detach().flatten().tolist(),
        'b': b.detach().tolist() if b is not None else None,
        'opts': {'stride': pair(s), 'padding': pair(p), 'dilation': pair(d)},
        'dy': dy.flatten().tolist(),
        'y': y.detach().flatten().tolist(),
        'dx': x.grad.flatten().tolist(),
        'dw': wt.grad.flatten().tolist(),
        'db': b.grad.tolist() if b is not None else None,
    })

path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'goldens', 'conv.json')
with open(path, 'w') as f:
    json.dump({'generator': 'scripts/goldens/conv.py', 'torch': torch.__version__, 'cases': out}, f)
print(f'wrote {len(out)} cases to {os.path.normpath(path)}')
