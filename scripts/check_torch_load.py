#!/usr/bin/env python3
"""Interoperability check: load a rejuv checkpoint into the equivalent PyTorch model and compare logits.

    node dist/node/cli.js eval RUN/checkpoint.safetensors --dump-logits RUN/logits.safetensors
    /usr/bin/python3 scripts/check_torch_load.py RUN/checkpoint.safetensors RUN/logits.safetensors

The checkpoint's model tensors carry PyTorch's state_dict names, so `load_state_dict(strict=True)`
must accept them as they are; the dump holds the input batch and the logits rejuv computed for it
(eval mode). Exits non-zero when a key, shape or logit disagrees (default tolerance 1e-4, relative to
the largest logit). Reads safetensors with json + numpy (no `safetensors` package needed).
Models: the VGG family of src/nn/models/vgg.ts (vgg_mini, vgg19, vgg16_nr).
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8}

# Mirrors VGG_CFGS in src/nn/models/vgg.ts: a number is a 3x3 conv-BN-ReLU unit, 'M' a 2x2 max-pool,
# 'A' global average pooling, 'F<n>' a 1x1 conv-BN-ReLU unit.
VGG_CFGS = {
    "vgg19": [64, 64, 128, 128, "M", 256, 256, 256, 256, 512, 512, "M", 512, 512, 512, 512, 512, 512],
    "vgg16_nr": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "A", "F4096", "F4096"],
    "vgg_mini": [16, 16, "M", 32, 32, "M", 64, 64],
}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        b, en = e["data_offsets"]
        tensors[name] = np.frombuffer(data[base + b : base + en], dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy()
    return meta, tensors


class VGG(nn.Module):
    """The same module tree (and so the same state_dict names) as rejuv's VGG."""

    def __init__(self, desc):
        super().__init__()
        o = desc["options"]
        cin, layers = o["inChannels"], []
        for item in VGG_CFGS[desc["arch"]]:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            elif item == "A":
                layers.append(nn.AdaptiveAvgPool2d(1))
            else:
                k = 3 if isinstance(item, int) else 1
                width = desc["widths"][f"features.{len(layers)}"]
                layers += [nn.Conv2d(cin, width, k, padding=k // 2, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
                cin = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, o["numClasses"])

    def forward(self, x):
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("dump", help="file written by `rejuv eval --dump-logits`")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(2)
    meta, tensors = read_safetensors(a.checkpoint)
    if meta.get("format") != "rejuv-checkpoint/1":
        sys.exit(f"{a.checkpoint}: not a rejuv checkpoint (format {meta.get('format')!r})")
    desc = json.loads(meta["model"])
    if desc["arch"] not in VGG_CFGS:
        sys.exit(f"{a.checkpoint}: architecture {desc['arch']!r} is not covered by this script (VGG family only)")
    model = VGG(desc)
    want = model.state_dict()
    sd = {}
    for k, v in tensors.items():
        if k.startswith("@optim/"):
            continue
        t = torch.from_numpy(v)
        if k in want and want[k].dtype == torch.int64:
            t = t.to(torch.int64)  # rejuv stores num_batches_tracked as int32
        sd[k] = t
    model.load_state_dict(sd, strict=True)  # raises on any missing/unexpected key or shape mismatch
    model.eval()
    _, dump = read_safetensors(a.dump)
    with torch.no_grad():
        ours = torch.from_numpy(dump["logits"]).double()
        theirs = model(torch.from_numpy(dump["input"])).double()
    diff = (ours - theirs).abs().max().item()
    scale = max(1.0, theirs.abs().max().item())
    agree = (ours.argmax(1) == theirs.argmax(1)).float().mean().item()
    print(f"{desc['arch']} widths {list(desc['widths'].values())}: {len(sd)} tensors loaded strictly; batch {tuple(dump['input'].shape)}")
    print(f"max |logit difference| = {diff:.3e} (max |logit| {theirs.abs().max().item():.3f}); argmax agreement {agree * 100:.1f}%")
    if diff > a.tol * scale:
        sys.exit(f"FAIL: logits differ by {diff:.3e} > {a.tol * scale:.3e}")
    print("OK")


if __name__ == "__main__":
    main()
