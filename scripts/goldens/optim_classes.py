"""Golden fixture for test/optim-classes.test.ts: torch.optim SGD/Adam/AdamW trajectories with two
parameter groups (and an L1 sub-gradient λ·sign(p) added to one parameter's gradient, as Neural
Rejuvenation does), and MultiStepLR / CosineAnnealingLR learning rates per epoch.

Run: /usr/bin/python3 scripts/goldens/optim_classes.py   (writes test/goldens/optim-classes.json)
"""
import json
import os

import torch

torch.set_num_threads(2)
g = torch.Generator().manual_seed(0)


def flat(t):
    return [float('%.9g' % v) for v in t.detach().reshape(-1).tolist()]


out = {'optimizers': [], 'schedules': []}
p0 = torch.randn(3, 4, generator=g)
p1 = torch.randn(5, generator=g)
grads = [[torch.randn(3, 4, generator=g), torch.randn(5, generator=g)] for _ in range(5)]
L1 = 0.05  # on p1 only

cases = [
    ('SGD', dict(lr=0.1, momentum=0.9, weight_decay=1e-2), dict(lr=0.03), {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 1e-2}, {'lr': 0.03}),
    ('SGD', dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.05, momentum=0.5, dampening=0.0), {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, {'lr': 0.05, 'momentum': 0.5}),
    ('SGD', dict(lr=0.2), dict(lr=0.1, weight_decay=0.1), {'lr': 0.2}, {'lr': 0.1, 'weightDecay': 0.1}),
    ('Adam', dict(lr=0.01, weight_decay=1e-2), dict(lr=0.02, betas=(0.8, 0.99)), {'lr': 0.01, 'weightDecay': 1e-2}, {'lr': 0.02, 'beta1': 0.8, 'beta2': 0.99}),
    ('AdamW', dict(lr=0.01), dict(lr=0.02, weight_decay=0.1, eps=1e-6), {'lr': 0.01}, {'lr': 0.02, 'weightDecay': 0.1, 'eps': 1e-6}),
]
for kind, d, g1, js_defaults, js_group1 in cases:
    a = p0.clone().requires_grad_(True)
    b = p1.clone().requires_grad_(True)
    opt = getattr(torch.optim, kind)([{'params': [a]}, {'params': [b], **g1}], **d)
    traj = []
    for ga, gb in grads:
        a.grad = ga.clone()
        b.grad = gb.clone() + L1 * torch.sign(b.detach())
        opt.step()
        traj.append([flat(a), flat(b)])
    out['optimizers'].append({'kind': kind, 'defaults': js_defaults, 'group1': js_group1, 'l1': L1, 'trajectory': traj})
out['p0'] = flat(p0)
out['p1'] = flat(p1)
out['grads'] = [[flat(x), flat(y)] for x, y in grads]

for kind, kw in [('MultiStepLR', dict(milestones=[3, 6, 6, 9], gamma=0.1)), ('MultiStepLR', dict(milestones=[150, 225], gamma=0.1)),
                 ('CosineAnnealingLR', dict(T_max=7, eta_min=0.001)), ('CosineAnnealingLR', dict(T_max=200))]:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{'params': [p]}, {'params': [torch.zeros(1, requires_grad=True)], 'lr': 0.03}], lr=0.1, momentum=0.9)
    sched = getattr(torch.optim.lr_scheduler, kind)(opt, **kw)
    epochs = 30 if kind == 'CosineAnnealingLR' and kw['T_max'] == 7 else 300
    lrs = []
    for _ in range(epochs):
        lrs.append([grp['lr'] for grp in opt.param_groups])
        opt.step()
        sched.step()
    out['schedules'].append({'kind': kind, 'options': {k.replace('T_max', 'tMax').replace('eta_min', 'etaMin'): v for k, v in kw.items()}, 'lrs': lrs})

path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'goldens', 'optim-classes.json')
with open(path, 'w') as f:
    json.dump(out, f)
print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes')
