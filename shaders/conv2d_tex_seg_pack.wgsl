// Stages conv2d's input for conv2d_tex.wgsl and conv2d_tex_wgrad.wgsl, a chunk of nb images from
// image n0, as the texels of an rgba32float texture (written to a buffer, then copied:
// src/kernels/webgpu/tex-stage.ts), once for all horizontal taps. A lane of the GEMM owns a quad of
// output columns {x4, x4 + S, x4 + 2S, x4 + 3S} (four segments of S = ceil(OW / 4) columns; the
// weight gradient's S is that rounded up to even), so the input columns that tap j reads for it are
// sw·x4 + j·dw − pw + q·sw·S, q < 4: one texel, at t = sw·x4 + j·dw, of
//   texel (t, (nl·C8 + c)·HP + yy) = x[n0 + nl, c0 + c, yy − ph, t − pw + q·sw·S], q < 4,
// 0 where c ≥ C or the sample lies in the padding. Channels c0 .. c0 + C − 1 of x's CT: one block of a
// block-diagonal conv (C = CT, c0 = 0 for a dense one). A staged row is L = sw·(S − 1) + dw·(kw − 1) + 1
// texels, against kw·S for the copy per tap this replaced: 9 texels instead of 21 for a 3×3 layer on a
// 28-wide map. Row yy of a channel is input row yy − ph, so vertical tap i of output row y reads
// staged row sh·y + i·dh: vertical padding and stride cost the GEMM nothing.
// Layout: x is NCHW (contiguous, CT channels); the staged region is L texels wide (buffer rows of `stride` texels)
//   and nb·C8·HP rows high (C8 = C rounded up to 8, HP = the rows the vertical taps reach).
// Work split: one invocation per staged row, looping over its L texels. Why: on lavapipe an
// invocation's fixed costs (index math, divisions) dominated a one-texel kernel; per row, vgg_mini's
// MNIST step stages its inputs in 28 ms instead of 67 (same-machine A/B).
// Dispatch: ceil(nb·C8·HP / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<f32>;
// The staged texels, rows of `stride` texels; tex-stage.ts copies them into the texture.
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
struct U {
  n0: u32, c: u32, c8: u32, h: u32,
  w: u32, seg: u32, len: u32, sw: u32,
  ph: i32, pw: i32, hp: u32, rows: u32,
  stride: u32, c0: u32, ct: u32,
}
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ty = flat_index(wid, nwg, lid, 64u); // staged row: plane·HP + yy
  if (ty >= u.rows) { return; }
  let plane = ty / u.hp; // nl·C8 + c
  let yy = ty - plane * u.hp;
  let nl = plane / u.c8;
  let c = plane - nl * u.c8;
  let y = i32(yy) - u.ph;
  let inside = c < u.c && y >= 0 && y < i32(u.h);
  let row = (((u.n0 + nl) * u.ct + u.c0 + min(c, u.c - 1u)) * u.h + u32(clamp(y, 0, i32(u.h) - 1))) * u.w;
  for (var t = 0u; t < u.len; t++) {
    var v = vec4<f32>(0.0);
    if (inside) {
      for (var q = 0u; q < 4u; q++) {
        let ix = i32(t + q * u.sw * u.seg) - u.pw;
        if (ix >= 0 && ix < i32(u.w)) { v[q] = x[row + u32(ix)]; }
      }
    }
    out[ty * u.stride + t] = v;
  }
}
