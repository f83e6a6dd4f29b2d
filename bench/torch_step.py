"""PyTorch CPU peer of `npm run bench -- train-step`: the same network (scripts/torch_models.py,
the repository's one PyTorch model module), init (BN γ 0.5, He fan-out convs, classifier N(0, 0.01²))
and optimizer (SGD momentum 0.9, weight decay 1e-4, lr 0.05) on a fixed random batch.

Protocol on stdin/stdout, one line each, so the Node bench can alternate ours and this step by step:
  -> `step`      <- `<ms> <loss>`   (one training step, timed inside Python)
  -> `quit`
Startup prints `ready <torch version> <threads>`. Run with Debian's interpreter (/usr/bin/python3).
Arguments: model width channels size batch threads.
"""
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from torch_models import create_model  # noqa: E402


def main():
    arch, width, channels, size, batch, threads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = create_model(arch, width, channels, 10)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, channels, size, size)
    y = torch.arange(batch) % 10
    loss_fn = nn.CrossEntropyLoss()
    print(f'ready {torch.__version__} {torch.get_num_threads()}', flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'quit':
            break
        if cmd != 'step':
            print(f'error unknown command {cmd!r}', flush=True)
            continue
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        v = loss.item()
        print(f'{(time.perf_counter() - t0) * 1000:.3f} {v:.6f}', flush=True)


if __name__ == '__main__':
    main()
