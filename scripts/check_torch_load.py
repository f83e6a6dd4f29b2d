#!/usr/bin/python3
"""Interoperability check: load a rejuv checkpoint into the equivalent PyTorch model and compare logits.

    node dist/node/cli.js eval RUN/checkpoint.safetensors --dump-logits RUN/logits.safetensors
    /usr/bin/python3 scripts/check_torch_load.py RUN/checkpoint.safetensors RUN/logits.safetensors [CKPT2 DUMP2 ...]

Every zoo family at any widths (scripts/torch_models.py), plain or rejuvenated: after Neural
Rejuvenation's surgery the stored split is installed (Scheme A's block-diagonal masks or Scheme B's
cross-attention, the two heads sharing the bias), so the model's output is z_S + z_R, the prediction
`rejuv eval` reports. The weights load with `load_state_dict(strict=True)` (scripts/rejuv_ckpt.py);
the dump holds the input batch and the logits rejuv computed for it in eval mode.

Several CHECKPOINT DUMP pairs may follow each other (one interpreter start for all). Exit status: 0
and 'OK' per pair when every logit agrees within --tol (default 1e-4) relative to max(1, largest
|logit|); 1 when any pair disagrees; 2 when a checkpoint or a dump cannot be mapped (the message names
the file and the field).
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # importing the modules below must not leave scripts/__pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rejuv_ckpt import CheckpointError, load_model, read_safetensors  # noqa: E402


def check(ckpt, dump_path, tol):
    """Compare one checkpoint with its dump; returns the exit status of that pair."""
    import torch
    try:
        model, info = load_model(ckpt)
        meta, dump = read_safetensors(dump_path)
        for k in ('input', 'logits'):
            if k not in dump:
                raise CheckpointError(dump_path, f'tensor {k!r}', 'missing: not a file of `rejuv eval --dump-logits`')
        if 'model' in meta and json.loads(meta['model']).get('widths') != dict(zip(model.unit_names, info['widths'])):
            raise CheckpointError(dump_path, '__metadata__.model', f'the dump was made from another model than {ckpt} (widths differ)')
    except CheckpointError as e:
        print(f'check_torch_load: {e}', file=sys.stderr)
        return 2
    with torch.no_grad():
        ours = torch.from_numpy(dump['logits']).double()
        theirs = model(torch.from_numpy(dump['input'])).double()
    if ours.shape != theirs.shape:
        print(f'FAIL: {ckpt}: logits of shape {tuple(theirs.shape)}, the dump holds {tuple(ours.shape)}', file=sys.stderr)
        return 1
    diff = (ours - theirs).abs().max().item()
    scale = max(1.0, theirs.abs().max().item())
    agree = (ours.argmax(1) == theirs.argmax(1)).float().mean().item()
    mode = f"rejuvenated, Scheme {info['scheme'].upper()}: masks from the stored split, two heads z_S + z_R" if info['scheme'] else 'plain'
    print(f"{ckpt}: {info['arch']} ({mode}), {len(info['widths'])} units, widths {info['widths'][:8]}{'…' if len(info['widths']) > 8 else ''}: "
          f"{len(model.state_dict())} tensors loaded strictly; batch {tuple(dump['input'].shape)}")
    print(f'max |logit difference| = {diff:.3e} (max |logit| {theirs.abs().max().item():.3f}); argmax agreement {agree * 100:.1f}%')
    if diff > tol * scale:
        print(f'FAIL: {ckpt}: logits differ by {diff:.3e} > {tol:g} x {scale:.3f}', file=sys.stderr)
        return 1
    print('OK')
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('pairs', nargs='+', metavar='CHECKPOINT DUMP', help='a checkpoint and the file `rejuv eval --dump-logits` wrote for it (repeatable)')
    ap.add_argument('--tol', type=float, default=1e-4)
    a = ap.parse_args()
    if len(a.pairs) % 2:
        ap.error(f'expected CHECKPOINT DUMP pairs, got {len(a.pairs)} paths')
    import torch
    torch.set_num_threads(2)
    codes = [check(a.pairs[i], a.pairs[i + 1], a.tol) for i in range(0, len(a.pairs), 2)]
    return 2 if 2 in codes else max(codes)


if __name__ == '__main__':
    sys.exit(main())
