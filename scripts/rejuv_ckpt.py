"""Reading and writing rejuv checkpoints in Python, and mapping one onto scripts/torch_models.py.

A rejuv checkpoint (src/train/checkpoint.ts, src/train/safetensors.ts) is one safetensors file: the
model's state dict under PyTorch's names, optimizer slots under `@optim/<param>/<slot>` (SGD's
`momentum_buffer`), and JSON strings in `__metadata__`: `format` ('rejuv-checkpoint/1'), `model` (the
description: arch, options, every unit's width), `run` (epochsDone, shift, history, config), `rng`,
`optimizer` ({state: {kind, groups, scalars}, steps}), `dataset`, and with Neural Rejuvenation
`pluginName` 'neural-rejuvenation' + `plugin` (its state: phase, split, ...).

- `Checkpoint(path)`: the file, validated; `meta(key)` decodes one metadata entry.
- `write_checkpoint(path, tensors, metadata)`: the same format, written atomically (temp file in the
  same folder, fsync, rename, fsync of the folder), as rejuv writes it.
- `load_model(path)`: the torch_models model with the checkpoint's weights (`load_state_dict(strict=True)`)
  and, after NR surgery, the stored split installed (Scheme A masks or Scheme B cross-attention, two
  heads), in eval mode.
Anything that cannot be mapped raises `CheckpointError`, whose message names the file and the field.

Needs numpy; `load_model` needs torch (Debian's /usr/bin/python3 with python3-torch).
"""
import json
import os
import struct

import numpy as np

FORMAT = 'rejuv-checkpoint/1'
OPTIM_PREFIX = '@optim/'
NR_PLUGIN = 'neural-rejuvenation'
DTYPES = {'F32': np.dtype('<f4'), 'F64': np.dtype('<f8'), 'I32': np.dtype('<i4'), 'I64': np.dtype('<i8'), 'U8': np.dtype('u1')}
MAX_HEADER_BYTES = 100_000_000  # as src/train/safetensors.ts


class CheckpointError(Exception):
    """A checkpoint that cannot be read or mapped: `file`, the `field` at fault, and why."""

    def __init__(self, file, field, message):
        self.file, self.field, self.reason = file, field, message
        super().__init__(f'{file}: {field}: {message}')


def read_safetensors(path):
    """(metadata dict of strings, {name: numpy array}) of a safetensors file; errors name the file."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(path, 'file', f'cannot read ({e.strerror or e})') from None
    if len(data) < 8:
        raise CheckpointError(path, 'header', f'truncated: {len(data)} bytes, not even the 8-byte header length')
    (n,) = struct.unpack('<Q', data[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise CheckpointError(path, 'header', f'header length {n} does not fit the {len(data)}-byte file (not a safetensors file?)')
    try:
        header = json.loads(data[8:8 + n].decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(path, 'header', f'not valid UTF-8 JSON ({e})') from None
    if not isinstance(header, dict):
        raise CheckpointError(path, 'header', 'not a JSON object')
    meta = header.pop('__metadata__', None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise CheckpointError(path, '__metadata__', 'must map names to strings')
    base, end = 8 + n, len(data) - 8 - n
    tensors = {}
    for name, e in header.items():
        dt = DTYPES.get(e.get('dtype')) if isinstance(e, dict) else None
        if dt is None:
            raise CheckpointError(path, f'tensor {name!r}', f'unsupported dtype {e.get("dtype") if isinstance(e, dict) else e!r} (expected one of {", ".join(DTYPES)})')
        shape, (b, en) = e['shape'], e['data_offsets']
        if not (0 <= b <= en <= end) or en - b != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
            raise CheckpointError(path, f'tensor {name!r}', f'data_offsets [{b}, {en}] do not hold shape {shape} {e["dtype"]} within the {end}-byte data section')
        tensors[name] = np.frombuffer(data, dtype=dt, count=(en - b) // dt.itemsize, offset=base + b).reshape(shape).copy()
    return meta, tensors


def encode_safetensors(tensors, metadata):
    """Bytes of a safetensors file: tensors in the given order, the data section 8-byte aligned by
    padding the header with spaces (what src/train/safetensors.ts writes)."""
    header = {'__metadata__': metadata}
    chunks, off = [], 0
    for name, a in tensors:
        a = np.asarray(a)  # not ascontiguousarray: it turns a 0-d tensor (num_batches_tracked) into shape [1]
        code = {np.dtype('<f4'): 'F32', np.dtype('<i4'): 'I32', np.dtype('<f8'): 'F64', np.dtype('<i8'): 'I64', np.dtype('u1'): 'U8'}.get(a.dtype.newbyteorder('<'))
        if code is None:
            raise ValueError(f'tensor {name!r}: dtype {a.dtype} has no safetensors code here')
        raw = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes(order='C')
        header[name] = {'dtype': code, 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    hb = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    return struct.pack('<Q', len(hb)) + hb + b''.join(chunks)


def write_atomic(path, data):
    """Write bytes atomically: a temporary file in the same folder, fsync, rename over `path`, fsync of
    the folder. The temporary name is the one rejuv uses (`.<name>.tmp-<pid>`), so rejuv removes a
    stale one left by a killed writer."""
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, f'.{os.path.basename(path)}.tmp-{os.getpid()}')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def write_checkpoint(path, tensors, metadata):
    """A rejuv checkpoint: `tensors` [(name, numpy array)] (model first, then `@optim/...`), `metadata`
    values JSON-encoded unless already strings, `format` set."""
    meta = {'format': FORMAT}
    for k, v in metadata.items():
        meta[k] = v if isinstance(v, str) else json.dumps(v)
    write_atomic(path, encode_safetensors(tensors, meta))


class Checkpoint:
    """One rejuv checkpoint file, read and checked for the format."""

    def __init__(self, path):
        self.path = path
        self.metadata, self.tensors = read_safetensors(path)
        fmt = self.metadata.get('format')
        if fmt != FORMAT:
            raise CheckpointError(path, '__metadata__.format', f'{fmt!r}, expected {FORMAT!r}: not a rejuv checkpoint')

    def error(self, field, message):
        return CheckpointError(self.path, field, message)

    def has_meta(self, key):
        return key in self.metadata

    def meta(self, key):
        """The metadata entry `key`, JSON-decoded."""
        if key not in self.metadata:
            raise self.error(f'__metadata__.{key}', 'missing')
        try:
            return json.loads(self.metadata[key])
        except json.JSONDecodeError as e:
            raise self.error(f'__metadata__.{key}', f'not valid JSON ({e})') from None

    def model_tensors(self):
        return {k: v for k, v in self.tensors.items() if not k.startswith(OPTIM_PREFIX)}

    def optimizer_slots(self):
        """{param name: {slot: array}} from the `@optim/<param>/<slot>` tensors."""
        out = {}
        for k, v in self.tensors.items():
            if k.startswith(OPTIM_PREFIX):
                p, _, slot = k[len(OPTIM_PREFIX):].rpartition('/')
                if not p:
                    raise self.error(f'tensor {k!r}', f"not '{OPTIM_PREFIX}<param>/<slot>'")
                out.setdefault(p, {})[slot] = v
        return out

    def description(self):
        """The `model` metadata (rejuv's describe()), checked field by field."""
        d = self.meta('model')
        if not isinstance(d, dict):
            raise self.error('model', f'expected an object {{arch, options, widths}}, got {type(d).__name__}')
        import torch_models as tm
        arch = d.get('arch')
        if arch not in tm.MODEL_NAMES:
            raise self.error('model.arch', f'unknown architecture {arch!r} (torch_models knows {", ".join(tm.MODEL_NAMES)})')
        o = d.get('options')
        if not isinstance(o, dict):
            raise self.error('model.options', f'missing or not an object: {o!r}')
        for k in ('inChannels', 'numClasses'):
            if not (isinstance(o.get(k), int) and o[k] > 0):
                raise self.error(f'model.options.{k}', f'expected a positive integer, got {o.get(k)!r}')
        if not (isinstance(o.get('widthMultiplier'), (int, float)) and o['widthMultiplier'] > 0):
            raise self.error('model.options.widthMultiplier', f'expected a positive number, got {o.get("widthMultiplier")!r}')
        w = d.get('widths')
        if not isinstance(w, dict):
            raise self.error('model.widths', f'missing or not an object: {w!r}')
        for k, v in w.items():
            if not (isinstance(v, int) and v >= 0) or (v == 0 and '.denselayer' not in k):
                raise self.error(f'model.widths[{k!r}]', f'{v!r}: a width is a positive integer (0 only for a deleted DenseNet layer)')
        return d

    def run(self):
        r = self.meta('run')
        if not isinstance(r, dict) or not isinstance(r.get('config'), dict):
            raise self.error('run', 'expected an object with a config')
        return r

    def nr_state(self):
        """The NR plugin's state, or None for a run without Neural Rejuvenation."""
        if self.metadata.get('pluginName') != NR_PLUGIN:
            return None
        s = self.meta('plugin')
        if not isinstance(s, dict) or s.get('phase') not in ('monitor', 'rejuvenated', 'unreached'):
            raise self.error('plugin.phase', f"expected 'monitor', 'rejuvenated' or 'unreached', got {s.get('phase') if isinstance(s, dict) else s!r}")
        return s

    def scheme(self):
        """The post-surgery scheme of the run ('a' or 'b'), from its --nr-scheme."""
        s = (self.run()['config'].get('plugin') or {}).get('nr-scheme', 'a')
        if s not in ('a', 'b'):
            raise self.error('run.config.plugin.nr-scheme', f"expected 'a' or 'b', got {s!r}")
        return s


def _bn_units(model):
    """{module path: unit name} for every conv and BN of an NR unit (to name the width at fault)."""
    paths = {id(m): n for n, m in model.named_modules()}
    out = {}
    for name, conv, bn in model.nr_units():
        out[name] = name
        out[paths[id(bn)]] = name
    return out


def state_dict_from(ck, model):
    """The checkpoint's model tensors as torch tensors for `model`, after checking names and shapes
    against `model.state_dict()`; a shape that disagrees names the width (or option) behind it."""
    import torch
    want = model.state_dict()
    have = ck.model_tensors()
    missing = [k for k in want if k not in have]
    extra = [k for k in have if k not in want]
    if missing or extra:
        raise ck.error('tensors', f'the description of {type(model).__name__} {ck.description()["arch"]} expects other tensors: '
                                  f'missing {missing[:5]}{"…" if len(missing) > 5 else ""}, unexpected {extra[:5]}{"…" if len(extra) > 5 else ""}')
    owner = _bn_units(model)
    desc = ck.description()
    head = f'{model.head_name}.'
    for k, t in want.items():
        got = tuple(have[k].shape)
        if got == tuple(t.shape):
            continue
        prefix = k.rsplit('.', 1)[0]
        if prefix in owner and got[:1] != tuple(t.shape[:1]):
            u = owner[prefix]
            raise ck.error(f'model.widths[{u!r}]', f'{desc["widths"].get(u)} does not match tensor {k!r} of shape {list(got)} (its first dimension is that unit\'s width)')
        if k.startswith(head) and got[:1] != tuple(t.shape[:1]):
            raise ck.error('model.options.numClasses', f'{desc["options"]["numClasses"]} does not match tensor {k!r} of shape {list(got)}')
        if prefix == model.nr_units()[0][0]:
            raise ck.error('model.options.inChannels', f'{desc["options"]["inChannels"]} does not match tensor {k!r} of shape {list(got)}')
        raise ck.error('model.widths', f'tensor {k!r} has shape {list(got)}, the widths build {list(t.shape)} (the width of a unit feeding {prefix!r} disagrees)')
    sd = {}
    for k, t in want.items():
        v = torch.from_numpy(have[k])
        sd[k] = v.to(t.dtype)  # rejuv stores num_batches_tracked as int32, PyTorch's is int64
    return sd


def load_model(src):
    """(model, info) for a checkpoint path or `Checkpoint`: the torch_models model, weights loaded with
    `load_state_dict(strict=True)`, NR split installed when the run is past surgery, in eval mode.
    info: arch, widths, scheme (None without a split), phase (None without NR), checkpoint."""
    import torch_models as tm
    ck = src if isinstance(src, Checkpoint) else Checkpoint(src)
    desc = ck.description()
    try:
        model = tm.from_description(desc)
    except (RuntimeError, ValueError) as e:  # e.g. a width list that cannot build the network
        raise ck.error('model.widths', f'does not build {desc["arch"]}: {e}') from None
    names = model.unit_names
    if list(desc['widths']) != names:
        unknown = [k for k in desc['widths'] if k not in names]
        lacking = [k for k in names if k not in desc['widths']]
        raise ck.error('model.widths', f'{desc["arch"]} has units {names[:3]}…; ' + (f'unknown {unknown[:5]}' if unknown else f'missing {lacking[:5]}' if lacking else 'listed in another order'))
    model.load_state_dict(state_dict_from(ck, model), strict=True)
    state = ck.nr_state()
    split = state.get('split') if state else None
    scheme = None
    if split is not None:
        if not isinstance(split, dict):
            raise ck.error('plugin.split', f'expected an object, got {type(split).__name__}')
        scheme = ck.scheme()
        bad = tm.split_problems(model, split)
        if bad:
            raise ck.error(f'plugin.split.{bad[0][0]}', bad[0][1])
        tm.install_split(model, split, scheme)
    model.eval()
    return model, {'arch': desc['arch'], 'widths': list(desc['widths'].values()), 'scheme': scheme,
                   'phase': state['phase'] if state else None, 'checkpoint': ck.path}
