"""PyTorch goldens for the foundation ops: forward values and input gradients (for a random upstream
gradient) of a representative set of elementwise, broadcasting, reduction, softmax and shape ops.
Run with Debian's interpreter: /usr/bin/python3 scripts/goldens/core.py  → test/goldens/core.json.
Inputs are drawn here (seeded), rounded to float32 and stored with the results; the truth is computed
in float64. Each case names an `op` that test/goldens-core.test.ts maps to the rejuv call."""
import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(20261125)


def f32(t):
    return t.float().double()


def inp(shape, lo=-2.0, hi=2.0, ties=False):
    if ties:  # small integers, so ties happen (max/min/maximum tie rules)
        t = torch.randint(-2, 3, shape).double()
    else:
        t = f32(torch.rand(shape, dtype=torch.float64) * (hi - lo) + lo)
    return t.requires_grad_(True)


def gather(x, idx, axis):
    """rejuv's gather: x's shape with `axis` replaced by idx's shape."""
    flat = torch.index_select(x, axis, idx.reshape(-1))
    return flat.reshape(list(x.shape[:axis]) + list(idx.shape) + list(x.shape[axis + 1:]))


CASES = []


def case(name, op, inputs, fn, params=None):
    y = fn(*inputs)
    dy = f32(torch.randn_like(y))
    grads = torch.autograd.grad(y, inputs, dy, allow_unused=True)
    CASES.append({
        'name': name, 'op': op, 'params': params or {},
        'inputs': [{'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()} for t in inputs],
        'output': {'shape': list(y.shape), 'data': y.detach().reshape(-1).tolist()},
        'dy': dy.reshape(-1).tolist(),
        'grads': [None if g is None else g.reshape(-1).tolist() for g in grads],
    })


# Elementwise unary, on domains where each is smooth.
for op, lo, hi, fn in [
    ('neg', -2, 2, torch.neg), ('abs', -2, 2, torch.abs), ('exp', -3, 3, torch.exp), ('log', 0.1, 4, torch.log),
    ('sqrt', 0.1, 4, torch.sqrt), ('rsqrt', 0.1, 4, torch.rsqrt), ('relu', -2, 2, torch.relu),
    ('sigmoid', -6, 6, torch.sigmoid), ('tanh', -4, 4, torch.tanh), ('square', -2, 2, torch.square),
    ('reciprocal', 0.2, 3, torch.reciprocal),
]:
    case(op, op, [inp([3, 5], lo, hi)], fn)

# Binary with broadcasting.
case('add [2,3,1]+[4]', 'add', [inp([2, 3, 1]), inp([4])], torch.add)
case('sub [3]-[2,1]', 'sub', [inp([3]), inp([2, 1])], torch.sub)
case('mul [2,1,4]*[3,1]', 'mul', [inp([2, 1, 4]), inp([3, 1])], torch.mul)
case('div [2,3]/[3]', 'div', [inp([2, 3]), inp([3], 0.5, 2)], torch.div)
case('pow [2,3]^[2,1]', 'pow', [inp([2, 3], 0.2, 2), inp([2, 1], -1.5, 2)], torch.pow)
case('maximum with ties', 'maximum', [inp([4, 3], ties=True), inp([3], ties=True)], torch.maximum)
case('minimum with ties', 'minimum', [inp([4, 3], ties=True), inp([4, 1], ties=True)], torch.minimum)
cond = torch.tensor([1.0, 0.0, 1.0, 1.0], dtype=torch.float64)
case('where [4] ? [3,4] : [1]', 'where', [inp([3, 4]), inp([1])], lambda a, b: torch.where(cond > 0, a, b), {'cond': cond.tolist()})

# Reductions.
case('sum axes [0,2] keepDim', 'sum', [inp([2, 3, 4])], lambda x: x.sum(dim=(0, 2), keepdim=True), {'axes': [0, 2], 'keepDim': True})
case('sum all', 'sum', [inp([3, 4])], lambda x: x.sum(), {})
case('mean axis 1', 'mean', [inp([2, 5, 3])], lambda x: x.mean(dim=1), {'axes': [1]})
case('max axis -1 with ties (amax)', 'max', [inp([4, 5], ties=True)], lambda x: x.amax(dim=-1), {'axes': [-1]})
case('min axes [0,1] with ties (amin)', 'min', [inp([3, 2, 2], ties=True)], lambda x: x.amin(dim=(0, 1)), {'axes': [0, 1]})
case('softmax axis 1', 'softmax', [inp([3, 5, 2], -4, 4)], lambda x: torch.softmax(x, dim=1), {'axis': 1})
case('logSoftmax axis -1', 'logSoftmax', [inp([4, 6], -4, 4)], lambda x: torch.log_softmax(x, dim=-1), {'axis': -1})

# Shape ops.
case('permute [2,0,1]', 'transpose', [inp([2, 3, 4])], lambda x: x.permute(2, 0, 1), {'perm': [2, 0, 1]})
case('slice [1:3, 2:]', 'slice', [inp([4, 5])], lambda x: x[1:3, 2:], {'begin': [1, 2], 'size': [2, -1]})
case('concat axis 1', 'concat', [inp([2, 1, 3]), inp([2, 3, 3]), inp([2, 2, 3])], lambda a, b, c: torch.cat([a, b, c], 1), {'axis': 1})
idx = torch.tensor([[2, 0], [2, 1], [0, 2]])
case('gather axis 1, 2-D repeated indices', 'gather', [inp([2, 3, 2])], lambda x: gather(x, idx, 1), {'axis': 1, 'indices': idx.reshape(-1).tolist(), 'indicesShape': [3, 2]})
case('indexSelect axis 0', 'gather', [inp([4, 3])], lambda x: torch.index_select(x, 0, torch.tensor([3, 3, 0])), {'axis': 0, 'indices': [3, 3, 0], 'indicesShape': [3]})
case('pad [[1,0],[2,1]] value 0.5', 'pad', [inp([2, 3])], lambda x: F.pad(x, (2, 1, 1, 0), value=0.5), {'paddings': [[1, 0], [2, 1]], 'value': 0.5})
case('flatten from 1', 'flatten', [inp([2, 3, 2])], lambda x: torch.flatten(x, 1), {})
case('expand [3,1] → [2,3,4]', 'expand', [inp([3, 1])], lambda x: x.expand(2, 3, 4), {'shape': [2, 3, 4]})

# A composite: a softmax-cross-entropy-like loss over a tanh layer, to check the chain end to end.
onehot = F.one_hot(torch.tensor([1, 0, 3]), 4).double()
case('composite: -mean(sum(onehot * logSoftmax(tanh(x*w + b))))', 'composite',
     [inp([3, 4]), inp([4]), inp([4])],
     lambda x, w, b: -(onehot * torch.log_softmax(torch.tanh(x * w + b), dim=1)).sum(dim=1).mean(), {'onehot': onehot.reshape(-1).tolist()})

path = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'goldens', 'core.json')
with open(path, 'w') as fh:
    json.dump({'torch': torch.__version__, 'cases': CASES}, fh)
print(f'wrote {len(CASES)} cases to {os.path.normpath(path)}')
