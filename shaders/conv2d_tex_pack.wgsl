// Stages conv2d's input for conv2d_tex.wgsl, a chunk of nb images from image n0, as the texels of an
// rgba32float texture (written to a buffer, then copied: src/kernels/webgpu/tex-stage.ts). For each
// horizontal tap j, the input samples that output columns 4·x4 .. 4·x4 + 3 read:
//   texel (j·W4 + x4, (nl·C8 + c)·HP + yy) = x[n0 + nl, c, yy − ph, sw·(4·x4 + q) + j·dw − pw], q < 4,
// and 0 where c ≥ C, the output column 4·x4 + q ≥ OW, or the sample lies in the padding. Row yy of a
// channel is input row yy − ph, so a vertical tap i of output row y reads staged row sh·y + i·dh:
// vertical padding and stride cost the kernel nothing, and every tap is one texel fetch.
// Layout: x is NCHW (contiguous); the staged region is kw·W4 texels wide (W4 = ceil(OW / 4); buffer
//   rows of `stride` texels) and nb·C8·HP rows high (C8 = C rounded up to 8, HP = the rows the
//   vertical taps reach).
// Work split: an invocation stages one quad x4 of one staged row for all kw taps (kw texels),
//   invocations numbered row-major over (plane, yy, x4). A flat numbering costs two divisions per
//   lane, but keeps every lane busy on small images: a 2-D grid with 4×4 images left most lanes of
//   most workgroups idle, and a workgroup launch costs about as much as staging a few rows.
// Dispatch: ceil(nb·C8·HP·W4 / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<f32>;
// The staged texels, rows of `stride` texels; tex-stage.ts copies them into the texture.
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
struct U {
  n0: u32, c: u32, c8: u32, h: u32,
  w: u32, ow: u32, w4: u32, kw: u32,
  sw: u32, dw: u32, ph: i32, pw: i32,
  hp: u32, quads: u32, stride: u32,
}
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = flat_index(wid, nwg, lid, 64u);
  if (e >= u.quads) { return; }
  // div_fast: lavapipe turns a vector u32 division into one scalar div per lane (lib/index).
  let ty = div_fast(e, u.w4); // staged row: plane·HP + yy
  let x4 = e - ty * u.w4;
  let plane = div_fast(ty, u.hp); // nl·C8 + c
  let yy = ty - plane * u.hp;
  let nl = div_fast(plane, u.c8);
  let c = plane - nl * u.c8;
  let y = i32(yy) - u.ph;
  let inside = c < u.c && y >= 0 && y < i32(u.h);
  let row = ((u.n0 + nl) * u.c + c) * u.h + u32(max(y, 0));
  for (var j = 0u; j < u.kw; j++) {
    var v = vec4<f32>(0.0);
    if (inside) {
      for (var q = 0u; q < 4u; q++) {
        let ox = 4u * x4 + q;
        let ix = i32(u.sw * ox + j * u.dw) - u.pw;
        if (ox < u.ow && ix >= 0 && ix < i32(u.w)) { v[q] = x[row * u.w + u32(ix)]; }
      }
    }
    out[ty * u.stride + j * u.w4 + x4] = v;
  }
}
