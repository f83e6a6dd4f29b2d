/**
 * Operands staged in textures (matmul_tex, conv2d_tex) are written through a buffer: the pack kernel
 * stores texels into a storage buffer whose rows are padded to 256 bytes, and copyBufferToTexture
 * moves them into the scratch texture. Why: on lavapipe a textureStore costs several times a storage
 * store; on vgg_mini's MNIST step (N 64) the input staging took 130 ms of a 440 ms step with
 * textureStore, 63 ms + 17 ms of copies this way (quiet machine, `rejuv profile`).
 */
import type { Storage } from '../../core/backend.js';
import type { WebGPUBackend } from './backend.js';

/** Texels per buffer row: `width` rounded up to 16 (rows of 256 bytes, as copyBufferToTexture wants). */
export const stagedStride = (width: number): number => Math.ceil(width / 16) * 16;

/**
 * Rows 0 .. rows − 1 (texels 0 .. width − 1 of each) of `slot`'s scratch texture, filled by `pack`,
 * which records a kernel writing texel (t, r) at `out[r · stride + t]` (vec4<f32> elements).
 */
export function stageTexture(b: WebGPUBackend, slot: string, width: number, rows: number, pack: (out: Storage, stride: number) => void): GPUTexture {
  const tex = b.scratchTexture(slot, width, rows);
  const stride = stagedStride(width);
  const buf = b.alloc(stride * rows * 4, 'float32');
  pack(buf, stride);
  b.copyToTexture(buf, 0, stride * 16, rows, tex, 0, width);
  b.release(buf);
  return tex;
}
