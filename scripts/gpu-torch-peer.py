#!/usr/bin/env python3
"""PyTorch peer for scripts/gpu-check.sh: the bench's shapes on PyTorch (CUDA by default).

  python3 gpu-torch-peer.py OUTDIR [--device cuda|cpu] [--quick]

Writes OUTDIR/torch-<device>.json in the bench's record format (suite, date, figures: name, value,
unit, ...) and prints a table. Shapes: bench/matmul.ts SIZES (plus 4096, a size a GPU notices),
bench/conv.ts SHAPES (fwd, dgrad, wgrad) and the train-step network of issue 11 (vgg_mini x1 on
1x28x28, batch 64, SGD momentum 0.9, weight decay 1e-4, cross-entropy; one loss.item() per step,
as rejuv reads its loss back once per step). fp32 with TF32 off, since rejuv's kernels are plain fp32.
Exits 75 (gpu-check.sh reads it as 'skipped') with a 'skipped' record when torch or the device is
missing: the peer is optional.
"""
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone

# Keep in step with bench/conv.ts SHAPES: (name, n, ci, co, h, w, k, stride, pad).
CONV_SHAPES = [
    ('N32 64→64 32×32 3×3', 32, 64, 64, 32, 32, 3, 1, 1),
    ('N32 128→128 16×16 3×3', 32, 128, 128, 16, 16, 3, 1, 1),
    ('N32 256→256 8×8 3×3', 32, 256, 256, 8, 8, 3, 1, 1),
    ('N32 128→256 16×16 1×1', 32, 128, 256, 16, 16, 1, 1, 0),
    ('N32 64→128 32×32 3×3 s2', 32, 64, 128, 32, 32, 3, 2, 1),
]
MATMUL_SIZES = [256, 512, 1024, 4096]
SKIPPED = 75


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith('--'):
        sys.exit('usage: gpu-torch-peer.py OUTDIR [--device cuda|cpu] [--quick]')
    out = args[0]
    device = args[args.index('--device') + 1] if '--device' in args else 'cuda'
    quick = '--quick' in args
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f'torch-{device}.json')
    record = {'suite': f'torch-{device}', 'date': datetime.now(timezone.utc).isoformat(), 'python': platform.python_version(), 'quick': quick}

    def write(figures, **extra):
        with open(path + '.tmp', 'w') as f:
            json.dump({**record, **extra, 'figures': figures}, f, indent=2, ensure_ascii=False)
            f.write('\n')
        os.replace(path + '.tmp', path)

    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means no peer
        print(f'torch peer: skipped (no PyTorch for {sys.executable}: {e})')
        write([], skipped=f'no PyTorch: {e}')
        sys.exit(SKIPPED)
    if device == 'cuda' and not torch.cuda.is_available():
        print(f'torch peer: skipped (PyTorch {torch.__version__} sees no CUDA device)')
        write([], skipped='no CUDA device', torch=torch.__version__)
        sys.exit(SKIPPED)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    if device == 'cpu':
        torch.set_num_threads(min(os.cpu_count() or 1, 16))
    dev = torch.device(device)
    record['torch'] = torch.__version__
    record['device'] = torch.cuda.get_device_name(0) if device == 'cuda' else platform.processor() or 'cpu'
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    runs = 3 if quick else 9

    def timeit(fn, inner=1, warmup=2):
        for _ in range(warmup):
            fn()
        sync()
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            samples.append((time.perf_counter() - t0) * 1000 / inner)
        s = sorted(samples)
        return s[len(s) // 2], samples

    figures = []
    g = torch.Generator(device=dev).manual_seed(0)
    t_start = time.perf_counter()

    for n in MATMUL_SIZES if not quick else MATMUL_SIZES[:3]:
        a = torch.randn(n, n, device=dev, generator=g)
        b = torch.randn(n, n, device=dev, generator=g)
        ms, samples = timeit(lambda: torch.mm(a, b), inner=20 if device == 'cuda' else 1)
        figures.append({'name': f'matmul {n} torch-{device}', 'value': 2 * n ** 3 / ms / 1e6, 'unit': 'GFLOP/s', 'ms': ms, 'samples': samples})

    for (name, n, ci, co, h, w, k, stride, pad) in CONV_SHAPES if not quick else CONV_SHAPES[:1]:
        x = torch.randn(n, ci, h, w, device=dev, generator=g)
        wt = torch.randn(co, ci, k, k, device=dev, generator=g) * 0.05
        y = F.conv2d(x, wt, stride=stride, padding=pad)
        dy = torch.randn(y.shape, device=dev, generator=g)
        macs = y.numel() * ci * k * k
        passes = {
            'fwd': lambda: F.conv2d(x, wt, stride=stride, padding=pad),
            'dgrad': lambda: torch.nn.grad.conv2d_input(x.shape, wt, dy, stride=stride, padding=pad),
            'wgrad': lambda: torch.nn.grad.conv2d_weight(x, wt.shape, dy, stride=stride, padding=pad),
        }
        for p, fn in passes.items():
            ms, samples = timeit(fn, inner=10 if device == 'cuda' else 1)
            figures.append({'name': f'conv {name} {p} torch-{device}', 'value': 2 * macs / ms / 1e6, 'unit': 'GFLOP/s', 'ms': ms, 'samples': samples})

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_models import create_model
    torch.manual_seed(0)
    model = create_model('vgg_mini', in_channels=1, num_classes=10).to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    batch = 64
    x = torch.randn(batch, 1, 28, 28, device=dev, generator=g)
    labels = torch.arange(batch, device=dev) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        loss.item()

    ms, samples = timeit(step, inner=50 if device == 'cuda' else 5, warmup=5)
    figures.append({'name': f'train-step vgg_mini 1×28×28 batch {batch} torch-{device}', 'value': batch / ms * 1000, 'unit': 'images/s', 'ms': ms, 'samples': samples})

    record['seconds'] = time.perf_counter() - t_start
    write(figures)
    print(f'\n== torch-{device} ({record["device"]}, torch {torch.__version__}, {record["seconds"]:.1f} s) ==')
    for f in figures:
        print(f'  {f["name"]:<48} {f["value"]:>10.1f} {f["unit"]}')
    print(f'  → {path}')


if __name__ == '__main__':
    main()
