#!/usr/bin/python3
"""Continue a rejuv run in PyTorch's distributed engine (issue 15 item 2).

    torchrun --standalone --nproc_per_node=N scripts/train_ddp.py RUN/checkpoint.safetensors --out DIR [--epochs K]
    # then, back in rejuv:  rejuv eval DIR/checkpoint.safetensors;  rejuv train <the run's flags> --out DIR --resume
    # Debian 12 (python3-torch 1.13 on Python 3.11): torchrun's default --redirects 0 crashes ('NoneType'
    # object has no attribute 'get': 3.11 no longer iterates IntFlag's 0 member); add --redirects 1 --tee 1.
    # Without torchrun (no RANK in the environment) the script runs as one process.

Takes a rejuv checkpoint, plain or after Neural Rejuvenation's surgery (Scheme A or B), and trains on
with torch.nn.parallel.DistributedDataParallel, one process per device (nccl on GPUs, gloo on CPU),
continuing the run's recipe:
- model: scripts/rejuv_ckpt.py loads it into scripts/torch_models.py (strict state dict; after surgery
  the split's masks: Scheme A's block-diagonal masks in forward, so the cross blocks get exactly zero
  gradients and, starting at zero, stay zero under weight decay and momentum; Scheme B's cross-attention);
- objective: cross-entropy, or after surgery the two heads' CE(z_S) + CE(z_R) sharing the bias, the
  prediction z_S + z_R (src/rejuv/heads.ts twoHeadLoss), as rejuv's trainer does after surgery (λ is 0);
- optimizer: torch.optim.SGD with the run's lr, momentum, dampening, nesterov and weight decay (every
  parameter), the momentum buffers from the checkpoint's `@optim/<param>/momentum_buffer`;
- LR schedule: rejuv's lrAt(config, epoch, shift) at the epoch the checkpoint stopped (multistep or
  cosine, the milestones moved by NR's monitoring epochs);
- data: the run's MNIST / Fashion-MNIST IDX files, normalization, training subset (--train-subset /
  --train-limit) and test limit, read by scripts/torch_twin.py's functions. Each epoch a
  DistributedSampler seeded with the run's seed and set_epoch(epoch) splits it: per-rank batch = the
  run's batch size / N (it must divide), the last partial batch kept (the sampler pads the data to a
  multiple of N by repeating a few images). The batch order is not rejuv's (which is one permutation
  per epoch on one device).
- batch norm: per rank by default: each process normalizes with the statistics of its own B/N images;
  DDP broadcasts rank 0's running statistics before every forward, so the running statistics are
  rank 0's, and that is what is evaluated and saved. `--sync-bn` converts to SyncBatchNorm (batch
  statistics over all B images; PyTorch supports it on GPUs only).
Rank 0 evaluates on the run's test set after every epoch and writes DIR/checkpoint.safetensors in
rejuv's format (atomically: temp file + rename) and DIR/metrics.jsonl: the run's history plus one row
per epoch here (engine 'torch-ddp', worldSize, batchNorm), the NR state advanced, the optimizer state
with the momentum buffers and the step count, so `rejuv eval` loads it and `rejuv train --resume`
continues it. Not carried over: NR's per-epoch alive/utilization statistics (rejuv computes them again
from the next epoch it runs), report.html (rejuv writes it on its next epoch).
Refused: a checkpoint still monitoring (NR before surgery: finish monitoring and surgery in rejuv),
datasets other than MNIST / Fashion-MNIST (CIFAR's augmentation and the synthetic set are rejuv's own).

--json prints one JSON object on stdout at the end (rank 0): the last epoch's row and checks
(testAcc, testImages, crossBlockMax for Scheme A, momentumBuffersLoaded).
"""
import argparse
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True  # importing the modules below must not leave scripts/__pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rejuv_ckpt import OPTIM_PREFIX, Checkpoint, CheckpointError, load_model, write_atomic, write_checkpoint  # noqa: E402

DATASETS = ('mnist', 'fashion-mnist')


def lr_at(cfg, epoch, shift):
    """src/train/config.ts lrAt: from `shift` on the nominal schedule restarts (NR's added epochs)."""
    e = epoch - shift if epoch >= shift else epoch
    if cfg.get('schedule') == 'cosine':
        return 0.5 * cfg['lr'] * (1 + math.cos(math.pi * e / cfg['epochs']))
    return cfg['lr'] * cfg.get('gamma', 0.1) ** sum(1 for m in cfg.get('milestones', []) if m <= e)


class Refused(Exception):
    """A checkpoint this script does not continue, with the reason and what to do instead."""


def plan(ck):
    """What the checkpoint asks for: (run, config, nr_state, scheme); raises Refused or CheckpointError."""
    run = ck.run()
    cfg = run['config']
    state = ck.nr_state()
    if state is not None and state['phase'] == 'monitor':
        raise Refused(f"{ck.path}: Neural Rejuvenation is still monitoring (phase 'monitor' after epoch {run.get('epochsDone')}, "
                      f"surgery not done yet): finish monitoring and surgery in rejuv (rejuv train <the run's flags> --out {os.path.dirname(ck.path) or '.'} --resume) "
                      f'and continue from a checkpoint written after the surgery; this script trains plain or rejuvenated networks, without the L1 term and the surgery')
    if cfg.get('dataset') not in DATASETS:
        raise Refused(f"{ck.path}: dataset {cfg.get('dataset')!r}: this script reads MNIST and Fashion-MNIST IDX files ({', '.join(DATASETS)}); "
                      'continue other datasets in rejuv')
    opt = ck.meta('optimizer')
    if not isinstance(opt, dict) or (opt.get('state') or {}).get('kind') != 'SGD':
        raise CheckpointError(ck.path, 'optimizer.state.kind', f"expected 'SGD' (rejuv's trainer), got {(opt.get('state') or {}).get('kind') if isinstance(opt, dict) else opt!r}")
    scheme = ck.scheme() if state is not None and state.get('split') is not None else None
    return run, cfg, state, scheme


def optimizer_groups(ck, model):
    """The checkpoint's SGD group (hyper-parameters, parameter order) checked against the model."""
    groups = ck.meta('optimizer')['state'].get('groups') or []
    if len(groups) != 1:
        raise CheckpointError(ck.path, 'optimizer.state.groups', f'expected one parameter group (rejuv trains one), got {len(groups)}')
    g = groups[0]
    names = [n for n, _ in model.named_parameters()]
    if sorted(g.get('params') or []) != sorted(names):
        raise CheckpointError(ck.path, 'optimizer.state.groups[0].params', 'does not list the model\'s parameters')
    return g


def load_momentum(ck, model, opt, group):
    """Momentum buffers from `@optim/<param>/momentum_buffer` into torch's SGD state; returns how many."""
    import torch
    params = dict(model.named_parameters())
    slots = ck.optimizer_slots()
    n = 0
    for name, bufs in slots.items():
        if name not in params:
            raise CheckpointError(ck.path, f'tensor {OPTIM_PREFIX}{name}/…', 'belongs to no parameter of the model')
        for slot, a in bufs.items():
            if slot != 'momentum_buffer' or group.get('momentum', 0) == 0:
                raise CheckpointError(ck.path, f'tensor {OPTIM_PREFIX}{name}/{slot}', f"unexpected optimizer slot for SGD with momentum {group.get('momentum')}")
            p = params[name]
            if tuple(a.shape) != tuple(p.shape):
                raise CheckpointError(ck.path, f'tensor {OPTIM_PREFIX}{name}/{slot}', f'shape {list(a.shape)}, the parameter has {list(p.shape)}')
            opt.state[p]['momentum_buffer'] = torch.from_numpy(a).to(p.device, p.dtype).clone()
            n += 1
    return n


def checkpoint_tensors(model, opt):
    """[(name, numpy array)]: the state dict (num_batches_tracked as int32, as rejuv stores it), then
    the momentum buffers under `@optim/<param>/momentum_buffer`."""
    import torch
    out = []
    for k, t in model.state_dict().items():
        t = t.detach().cpu()
        out.append((k, t.to(torch.int32).numpy() if t.dtype == torch.int64 else t.float().contiguous().numpy()))
    for name, p in model.named_parameters():
        buf = opt.state.get(p, {}).get('momentum_buffer')
        if buf is not None:
            out.append((f'{OPTIM_PREFIX}{name}/momentum_buffer', buf.detach().cpu().float().contiguous().numpy()))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog='See the module docstring (head -60 scripts/train_ddp.py) for what is carried over.')
    ap.add_argument('checkpoint', help='a rejuv checkpoint (plain, or after NR surgery with Scheme A or B)')
    ap.add_argument('--out', help="folder for checkpoint.safetensors and metrics.jsonl (default: the checkpoint's folder, continuing the run in place)")
    ap.add_argument('--epochs', type=int, help='epochs to train here (default: the rest of the run\'s schedule)')
    ap.add_argument('--data-dir', help="IDX folder (default: the run's --data-dir, else rejuv's default for the dataset)")
    ap.add_argument('--sync-bn', action='store_true', help='SyncBatchNorm: batch statistics over all ranks (GPUs only)')
    ap.add_argument('--backend', choices=['nccl', 'gloo'], help='process-group backend (default: nccl with CUDA, else gloo)')
    ap.add_argument('--threads', type=int, help='CPU threads per process (default: cores / local processes)')
    ap.add_argument('--json', action='store_true', help='print one JSON object with the last epoch and the checks on stdout (rank 0)')
    a = ap.parse_args(argv)

    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data.distributed import DistributedSampler
    import torch_models as tm
    from torch_twin import load_dataset

    if 'RANK' not in os.environ:  # run without torchrun: one process, as torchrun would set it up
        os.environ.update({'RANK': '0', 'WORLD_SIZE': '1', 'LOCAL_RANK': '0', 'LOCAL_WORLD_SIZE': '1', 'MASTER_ADDR': '127.0.0.1', 'MASTER_PORT': os.environ.get('MASTER_PORT', '29533')})
    rank, world, local = int(os.environ['RANK']), int(os.environ['WORLD_SIZE']), int(os.environ['LOCAL_RANK'])
    say = (lambda *m: print('train_ddp:', *m, file=sys.stderr, flush=True)) if rank == 0 else (lambda *m: None)

    # Every rank checks the checkpoint before the process group exists: a refusal exits all of them alike.
    try:
        ck = Checkpoint(a.checkpoint)
        run, cfg, state, scheme = plan(ck)
        model, info = load_model(ck)
        group = optimizer_groups(ck, model)
    except (Refused, CheckpointError) as e:
        if rank == 0:
            print(f'train_ddp: {e}', file=sys.stderr)
        return 2
    use_cuda = torch.cuda.is_available() and a.backend != 'gloo'
    backend = a.backend or ('nccl' if use_cuda else 'gloo')
    if a.sync_bn and not use_cuda:
        if rank == 0:
            print('train_ddp: --sync-bn needs GPUs (PyTorch\'s SyncBatchNorm runs on CUDA only); without it batch norm is per rank', file=sys.stderr)
        return 2
    batch = cfg['batchSize']
    if batch % world:
        if rank == 0:
            print(f'train_ddp: the run\'s batch size {batch} is not divisible by {world} processes (per-rank batch = global batch / N)', file=sys.stderr)
        return 2
    per_rank = batch // world
    torch.set_num_threads(a.threads or max(1, (os.cpu_count() or 1) // int(os.environ.get('LOCAL_WORLD_SIZE', world))))
    dev = torch.device(f'cuda:{local}') if use_cuda else torch.device('cpu')
    if use_cuda:
        torch.cuda.set_device(dev)
    dist.init_process_group(backend)

    done, shift = run['epochsDone'], run.get('shift', 0)
    total = cfg['epochs'] + shift
    epochs = a.epochs if a.epochs is not None else total - done
    if epochs < 1:
        say(f'{a.checkpoint} has finished its schedule ({done} of {total} epochs); give --epochs K to train K more')
        dist.destroy_process_group()
        return 2
    out_dir = a.out or os.path.dirname(os.path.abspath(a.checkpoint))
    if rank == 0:
        os.makedirs(out_dir, exist_ok=True)
    out_ckpt = os.path.join(out_dir, 'checkpoint.safetensors')

    data_dir = a.data_dir or cfg.get('dataDir')
    xtr, ytr, xte, yte = load_dataset(cfg['dataset'], data_dir, cfg.get('trainSubset'), cfg.get('subsetSeed', 0), cfg.get('trainLimit'), cfg.get('testLimit'))
    two_heads = model.classifier_s is not None
    model.to(dev)
    if a.sync_bn:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    opt = torch.optim.SGD(model.parameters(), lr=group.get('lr', cfg['lr']), momentum=group.get('momentum', cfg['momentum']),
                          dampening=group.get('dampening', 0), nesterov=bool(group.get('nesterov', False)), weight_decay=group.get('weightDecay', cfg['weightDecay']))
    loaded = load_momentum(ck, model, opt, group)
    ddp = DDP(model, device_ids=[local] if use_cuda else None)
    sampler = DistributedSampler(range(xtr.shape[0]), num_replicas=world, rank=rank, shuffle=True, seed=cfg['seed'], drop_last=False)
    param_names = group['params']  # rejuv's order, which its optimizer checks on resume
    history = list(run.get('history', []))
    steps = (ck.meta('optimizer') or {}).get('steps', 0)
    say(f"{info['arch']} {'(Scheme %s, two heads)' % scheme.upper() if scheme else '(plain)'} from {a.checkpoint} after epoch {done}: "
        f"{epochs} epoch{'s' if epochs != 1 else ''} on {world} process{'es' if world != 1 else ''} ({backend}, {dev.type}), batch {batch} = {world} x {per_rank}, "
        f"batch norm {'synchronized' if a.sync_bn else 'per rank'}; {loaded} momentum buffers loaded; {xtr.shape[0]} training / {xte.shape[0]} test images")

    def objective(x, y):
        """(loss to backpropagate, prediction logits, parts) as rejuv's trainer computes them."""
        if not two_heads:
            z = ddp(x)
            return F.cross_entropy(z, y), z, {}
        zs, zr = ddp(x, heads=True)
        ces, cer = F.cross_entropy(zs, y), F.cross_entropy(zr, y)
        return ces + cer, (zs + zr).detach(), {'LossS': ces.detach(), 'LossR': cer.detach()}

    row = None
    for epoch in range(done, done + epochs):
        lr = lr_at(cfg, epoch, shift)
        for g in opt.param_groups:
            g['lr'] = lr
        sampler.set_epoch(epoch)
        idx = torch.tensor(list(sampler))
        ddp.train()
        t0 = time.time()
        acc = [0.0] * 6  # images, objective, prediction loss, correct, LossS, LossR (this rank)
        for i in range(0, len(idx), per_rank):
            j = idx[i:i + per_rank]
            x, y = xtr[j].to(dev), ytr[j].to(dev)
            loss, z, parts = objective(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
            b = y.shape[0]
            with torch.no_grad():
                pred = F.cross_entropy(z, y) if two_heads else loss.detach()
                for k, v in enumerate((b, float(loss) * b, float(pred) * b, int((z.argmax(1) == y).sum()),
                                       float(parts.get('LossS', 0)) * b, float(parts.get('LossR', 0)) * b)):
                    acc[k] += v
        seconds = time.time() - t0
        sums = torch.tensor(acc, dtype=torch.float64, device=dev)
        dist.all_reduce(sums)  # the epoch's figures over every rank's images
        sums = sums.cpu()
        if rank == 0:
            m = ddp.module
            m.eval()
            tl = tc = 0.0
            with torch.no_grad():
                for i in range(0, xte.shape[0], batch):
                    x, y = xte[i:i + batch].to(dev), yte[i:i + batch].to(dev)
                    z = m(x)
                    tl += float(F.cross_entropy(z, y, reduction='sum'))
                    tc += int((z.argmax(1) == y).sum())
            n = float(sums[0])
            row = {'epoch': epoch + 1, 'lr': lr, 'trainLoss': float(sums[2]) / n, 'trainAcc': float(sums[3]) / n,
                   'testLoss': tl / xte.shape[0], 'testAcc': tc / xte.shape[0]}
            if two_heads:
                row.update({'trainObjective': float(sums[1]) / n, 'trainLossS': float(sums[4]) / n, 'trainLossR': float(sums[5]) / n})
            convs = sum(conv.weight.numel() for _, conv, _ in m.nr_units())
            row.update({'imagesPerSec': n / seconds, 'params': sum(p.numel() for p in m.parameters()), 'seconds': seconds, 'step': steps})
            if state is not None:
                row.update({'phase': state['phase'], 'lambda': 0, 'target': (history[-1] if history else {}).get('target'),
                            'convParams': convs, 'effectiveParams': state.get('effectiveParams') or convs})
            row.update({'engine': 'torch-ddp', 'worldSize': world, 'batchNorm': 'sync' if a.sync_bn else 'per-rank'})
            history.append(row)
            meta = {'model': ck.meta('model'), 'run': {**run, 'epochsDone': epoch + 1, 'history': history},
                    'rng': ck.meta('rng'), 'optimizer': {'state': {'kind': 'SGD', 'groups': [{**group, 'lr': lr, 'params': param_names}], 'scalars': {}}, 'steps': steps}}
            for k in ('dataset', 'pluginName'):
                if ck.has_meta(k):
                    meta[k] = ck.metadata[k]
            if state is not None:
                state = {**state, 'epochs': state.get('epochs', 0) + 1, 'steps': steps}
                meta['plugin'] = state
            write_checkpoint(out_ckpt, checkpoint_tensors(m, opt), meta)
            write_atomic(os.path.join(out_dir, 'metrics.jsonl'), ''.join(json.dumps(r) + '\n' for r in history).encode())
            say(f"epoch {epoch + 1}/{max(total, done + epochs)} lr {lr:.4g} train loss {row['trainLoss']:.4f} acc {100 * row['trainAcc']:.2f}% | "
                f"test loss {row['testLoss']:.4f} acc {100 * row['testAcc']:.2f}% ({xte.shape[0]} images) | {row['imagesPerSec']:.0f} img/s, {seconds:.1f} s -> {out_ckpt}")
        dist.barrier()
    if rank == 0:
        cross = tm.cross_block_max(ddp.module) if scheme == 'a' else None
        if cross is not None:
            say(f'Scheme A cross blocks: max |w| = {cross:g}' + (' (exactly zero, as in rejuv)' if cross == 0 else ' (NOT zero)'))
        if a.json:
            print(json.dumps({**row, 'checkpoint': out_ckpt, 'testImages': int(xte.shape[0]), 'scheme': scheme,
                              'crossBlockMax': cross, 'momentumBuffersLoaded': loaded, 'parameters': len(param_names)}), flush=True)
    dist.destroy_process_group()
    return 0


if __name__ == '__main__':
    sys.exit(main())
