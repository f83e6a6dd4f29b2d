import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rj from '../src/index.js';
import { Checkpoint, saveCheckpoint, writeFileAtomic } from '../src/train/checkpoint.js';
import { decodeSafetensors, encodeSafetensors, fromTyped } from '../src/train/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'rejuv-ckpt-'));
beforeAll(async () => {
  await rj.init({ backend: 'cpu' });
});
afterAll(() => {
  rj.close();
  rmSync(dir, { recursive: true, force: true });
});

function header(json: object | string, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(typeof json === 'string' ? json : JSON.stringify(json));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata, 8-byte aligned', () => {
    const f = { metadata: { a: 'x' }, tensors: new Map([['w', fromTyped(Float32Array.of(1, -2.5, 3), [3, 1])], ['n', fromTyped(Int32Array.of(7), [])]]) };
    const bytes = encodeSafetensors(f);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const back = decodeSafetensors(bytes, 'f.safetensors');
    expect(back.metadata).toEqual({ a: 'x' });
    expect([...back.tensors.keys()]).toEqual(['w', 'n']);
    expect(back.tensors.get('w')!.shape).toEqual([3, 1]);
    expect(Array.from(new Float32Array(back.tensors.get('w')!.bytes.slice().buffer))).toEqual([1, -2.5, 3]);
  });
  it('rejects corrupt and truncated headers, naming the file', () => {
    const F = 'm.safetensors';
    const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const d8 = new Uint8Array(8);
    expect(() => decodeSafetensors(new Uint8Array(5), F)).toThrow(/m\.safetensors: truncated: 5 bytes/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(huge, F)).toThrow(/m\.safetensors: header length 1099511627776 exceeds/);
    expect(() => decodeSafetensors(header(ok, d8).subarray(0, 20), F)).toThrow(/m\.safetensors: truncated: header length \d+ runs past the end/);
    expect(() => decodeSafetensors(header('{"w": [', d8), F)).toThrow(/m\.safetensors: header is not valid UTF-8 JSON/);
    expect(() => decodeSafetensors(header({ w: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), F)).toThrow(/tensor 'w': unsupported dtype "BF16"/);
    expect(() => decodeSafetensors(header({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d8), F)).toThrow(/tensor 'w': 8 bytes for shape \[3\] F32, expected 12/);
    expect(() => decodeSafetensors(header(ok, new Uint8Array(4)), F)).toThrow(/tensor 'w': data_offsets \[0, 8\] lie outside the 4-byte data section/);
    expect(() => decodeSafetensors(header({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, d8), F)).toThrow(/begin after end/);
    expect(() => decodeSafetensors(header({ ...ok, v: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, d8), F)).toThrow(/overlap/);
    expect(() => decodeSafetensors(header(ok, new Uint8Array(12)), F)).toThrow(/4 bytes after the last tensor/);
    expect(() => decodeSafetensors(header({ __metadata__: { k: 3 } }), F)).toThrow(/__metadata__\.k is a number/);
    expect(() => decodeSafetensors(header({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, d8), F)).toThrow(/shape \[-2\] is not a list/);
  });
});

describe('checkpoint files', () => {
  it('saves atomically and loads back against the model', async () => {
    const file = join(dir, 'a.safetensors');
    const w = rj.randn([4, 3], { seed: 1 });
    const n = rj.tensor([5], [], { dtype: 'int32' });
    const m = rj.randn([4, 3], { seed: 2 });
    await saveCheckpoint(file, [['fc.weight', w], ['bn.num_batches_tracked', n], ['@optim/fc.weight/momentum_buffer', m]], { model: { arch: 'x', widths: [4] }, run: { epoch: 3 } });
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const c = Checkpoint.read(file);
    expect(c.meta<{ epoch: number }>('run').epoch).toBe(3);
    expect(c.modelKeys()).toEqual(['fc.weight', 'bn.num_batches_tracked']);
    const sd = c.stateDictFor({ 'fc.weight': w, 'bn.num_batches_tracked': n });
    expect(await sd['fc.weight'].toArray()).toEqual(await w.toArray());
    expect(sd['bn.num_batches_tracked'].dtype).toBe('int32');
    expect(Array.from(await sd['bn.num_batches_tracked'].toArray())).toEqual([5]);
    expect(await rj.tensor(new Float32Array(c.optimizerSlots().get('fc.weight')!.get('momentum_buffer')!.bytes.slice().buffer), [4, 3]).toArray()).toEqual(await m.toArray());
    // Shapes and names are checked against the model, every problem listed.
    expect(() => c.stateDictFor({ 'fc.weight': rj.zeros([3, 4]), 'fc.bias': rj.zeros([4]) }))
      .toThrow(/a\.safetensors: does not match the model: 'fc\.weight' has shape \[4, 3\], the model expects \[3, 4\]; missing 'fc\.bias'; unexpected 'bn\.num_batches_tracked'/);
    expect(() => c.meta('nope')).toThrow(/a\.safetensors: metadata has no 'nope' entry/);
  });
  it('refuses files that are not rejuv checkpoints or are damaged', () => {
    const f = join(dir, 'b.safetensors');
    writeFileAtomic(f, encodeSafetensors({ metadata: {}, tensors: new Map() }));
    expect(() => Checkpoint.read(f)).toThrow(/b\.safetensors: not a rejuv checkpoint/);
    expect(() => Checkpoint.read(join(dir, 'missing.safetensors'))).toThrow(/missing\.safetensors: cannot read/);
    const good = readFileSync(join(dir, 'a.safetensors'));
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, good.subarray(0, good.length - 10));
    expect(() => Checkpoint.read(cut)).toThrow(/cut\.safetensors: tensor '.*': data_offsets .* lie outside/);
  });
});
