"""PyTorch goldens for rj.matmul: forward and gradients of sum(C * W) for 2-D, batched with broadcast
batch dims, transposed operands (A.mT / B.mT, as rj's transA / transB) and 1-D operands.
Run with Debian's torch: /usr/bin/python3 scripts/goldens/matmul.py  (writes test/goldens/matmul.json)"""
import json
import os

import torch

torch.manual_seed(0)
torch.set_num_threads(2)

# (name, A stored shape, B stored shape, transA, transB)
CASES = [
    ("2d", [5, 7], [7, 3], False, False),
    ("2d_transA", [7, 5], [7, 3], True, False),
    ("2d_transB", [5, 7], [3, 7], False, True),
    ("2d_transAB", [7, 5], [3, 7], True, True),
    ("aligned_8x12x16", [8, 12], [12, 16], False, False),
    ("batched", [2, 3, 4, 6], [2, 3, 6, 5], False, False),
    ("broadcast_batch", [2, 1, 4, 6], [3, 6, 5], False, False),
    ("broadcast_2d_rhs", [3, 4, 6], [5, 6], False, True),
    ("vec_mat", [6], [2, 6, 3], False, False),
    ("mat_vec", [2, 4, 6], [6], False, False),
    ("vec_vec", [9], [9], False, False),
]


def r(t):
    return [round(float(v), 9) for v in t.reshape(-1).tolist()]


out = []
for name, sa, sb, ta, tb in CASES:
    a = torch.randn(sa, dtype=torch.float64, requires_grad=True)
    b = torch.randn(sb, dtype=torch.float64, requires_grad=True)
    # Round inputs to float32 so the fixture is exactly representable in rj's float32 tensors.
    with torch.no_grad():
        a.copy_(a.float().double())
        b.copy_(b.float().double())
    c = torch.matmul(a.mT if ta else a, b.mT if tb else b)
    w = torch.randn(c.shape, dtype=torch.float64).float().double()
    (c * w).sum().backward()
    out.append({
        "name": name, "transA": ta, "transB": tb,
        "a": {"shape": sa, "data": r(a.detach())}, "b": {"shape": sb, "data": r(b.detach())},
        "w": {"shape": list(c.shape), "data": r(w)},
        "out": {"shape": list(c.shape), "data": r(c.detach())},
        "grad_a": {"shape": sa, "data": r(a.grad)}, "grad_b": {"shape": sb, "data": r(b.grad)},
    })

path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "goldens", "matmul.json")
with open(path, "w") as f:
    json.dump({"generator": "scripts/goldens/matmul.py", "torch": torch.__version__, "cases": out}, f)
print(f"wrote {len(out)} cases to {os.path.normpath(path)}")
