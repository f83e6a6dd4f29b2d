"""PyTorch golden fixtures for issue 3's batch norm, pooling, cross-entropy and optimizer kernels.

Run with Debian's interpreter (it sees python3-torch 1.13):
    /usr/bin/python3 scripts/goldens/cnn.py        # writes test/goldens/cnn.json

Inputs are drawn in float32 and stored; batch norm and pooling references are computed in float64 from
those float32 values (the exact answer a float32 kernel should approach), cross-entropy and the
optimizers run in float32 as a training loop would.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
g = torch.Generator().manual_seed(1234)


def randn(*shape, mean=0.0, std=1.0):
    return (torch.randn(*shape, generator=g) * std + mean).float()


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) for v in x.double().flatten().tolist()]}


def bn_case(name, x, affine, training, momentum=0.1, eps=1e-5):
    C = x.shape[1]
    w = randn(C, mean=1.0, std=0.5) if affine else None
    b = randn(C, std=0.5) if affine else None
    rm = randn(C, std=0.3)
    rv = (torch.rand(C, generator=g) + 0.5).float()
    dy = randn(*x.shape)
    xd = x.double().requires_grad_(True)
    wd = w.double().requires_grad_(True) if affine else None
    bd = b.double().requires_grad_(True) if affine else None
    rmd, rvd = rm.double().clone(), rv.double().clone()
    y = F.batch_norm(xd, rmd, rvd, wd, bd, training=training, momentum=momentum, eps=eps)
    y.backward(dy.double())
    case = {"name": name, "training": training, "momentum": momentum, "eps": eps, "affine": affine,
            "x": t(x), "runningMean": t(rm), "runningVar": t(rv), "dy": t(dy),
            "y": t(y), "newRunningMean": t(rmd), "newRunningVar": t(rvd), "dx": t(xd.grad)}
    if affine:
        case.update({"weight": t(w), "bias": t(b), "dweight": t(wd.grad), "dbias": t(bd.grad)})
    return case


def pool_case(kind, x, **kw):
    xd = x.double().requires_grad_(True)
    if kind == "max":
        y = F.max_pool2d(xd, kw["kernelSize"], kw["stride"], kw["padding"])
    elif kind == "avg":
        y = F.avg_pool2d(xd, kw["kernelSize"], kw["stride"], kw["padding"], count_include_pad=kw["countIncludePad"])
    else:
        y = F.adaptive_avg_pool2d(xd, kw["outputSize"])
    dy = randn(*y.shape)
    y.backward(dy.double())
    return {"kind": kind, "opts": kw, "x": t(x), "dy": t(dy), "y": t(y), "dx": t(xd.grad)}


def ce_case(N, K, smoothing):
    logits = randn(N, K, std=2.0).requires_grad_(True)
    labels = torch.randint(0, K, (N,), generator=g)
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    loss.backward()
    return {"labelSmoothing": smoothing, "logits": t(logits), "labels": labels.tolist(), "loss": float(loss), "dlogits": t(logits.grad)}


def optim_case(kind, opts, steps=5, l1=0.0):
    p = randn(4, 3).requires_grad_(True)
    p0 = p.detach().clone()
    grads = [randn(4, 3) for _ in range(steps)]
    if kind == "sgd":
        o = torch.optim.SGD([p], lr=opts["lr"], momentum=opts.get("momentum", 0), dampening=opts.get("dampening", 0),
                            nesterov=opts.get("nesterov", False), weight_decay=opts.get("weightDecay", 0))
    else:
        cls = torch.optim.AdamW if opts.get("decoupled") else torch.optim.Adam
        o = cls([p], lr=opts["lr"], betas=(opts.get("beta1", 0.9), opts.get("beta2", 0.999)), eps=opts.get("eps", 1e-8),
                weight_decay=opts.get("weightDecay", 0))
    after = []
    for gr in grads:
        # Neural Rejuvenation's sparsity term: l1·sign(p) added to the gradient before the step.
        p.grad = gr + l1 * torch.sign(p.detach())
        o.step()
        after.append(t(p))
    return {"kind": kind, "opts": dict(opts, l1=l1), "param": t(p0), "grads": [t(x) for x in grads], "after": after}


out = {"bn": [], "pool": [], "ce": [], "optim": []}
out["bn"].append(bn_case("train affine", randn(4, 3, 5, 6, mean=0.5, std=2.0), True, True))
out["bn"].append(bn_case("train no affine", randn(3, 4, 3, 5, std=1.5), False, True, momentum=0.3))
out["bn"].append(bn_case("eval affine", randn(2, 3, 4, 5, mean=-1.0, std=2.0), True, False))
out["bn"].append(bn_case("train large mean", randn(4, 3, 6, 6, mean=1e4, std=1.0), True, True))
out["bn"].append(bn_case("train batch 1 spatial 1x1", randn(5, 6, 1, 1), True, True))

x = randn(2, 3, 7, 9)
ties = torch.randint(0, 3, (2, 2, 6, 7), generator=g).float()  # many equal values: first-max rule
for xx in (x, ties):
    out["pool"].append(pool_case("max", xx, kernelSize=[3, 3], stride=[2, 2], padding=[1, 1]))
    out["pool"].append(pool_case("max", xx, kernelSize=[2, 2], stride=[2, 2], padding=[0, 0]))
    out["pool"].append(pool_case("max", xx, kernelSize=[3, 2], stride=[1, 2], padding=[1, 0]))
out["pool"].append(pool_case("avg", x, kernelSize=[3, 3], stride=[2, 2], padding=[1, 1], countIncludePad=True))
out["pool"].append(pool_case("avg", x, kernelSize=[3, 3], stride=[2, 2], padding=[1, 1], countIncludePad=False))
out["pool"].append(pool_case("avg", x, kernelSize=[2, 3], stride=[1, 2], padding=[0, 1], countIncludePad=True))
out["pool"].append(pool_case("adaptive", x, outputSize=[1, 1]))
out["pool"].append(pool_case("adaptive", x, outputSize=[3, 4]))

out["ce"].append(ce_case(6, 5, 0.0))
out["ce"].append(ce_case(7, 10, 0.1))
out["ce"].append(ce_case(1, 3, 0.3))

out["optim"].append(optim_case("sgd", {"lr": 0.1}))
out["optim"].append(optim_case("sgd", {"lr": 0.1, "momentum": 0.9}))
out["optim"].append(optim_case("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.01}))
out["optim"].append(optim_case("sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weightDecay": 0.05}))
out["optim"].append(optim_case("sgd", {"lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4}, l1=1e-2))
out["optim"].append(optim_case("adam", {"lr": 1e-2}))
out["optim"].append(optim_case("adam", {"lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weightDecay": 0.05}))
out["optim"].append(optim_case("adam", {"lr": 1e-2, "weightDecay": 0.1, "decoupled": True}))
out["optim"].append(optim_case("adam", {"lr": 1e-3, "weightDecay": 0.01, "decoupled": True}, l1=1e-3))

path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "goldens", "cnn.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
