// Stages conv2d's output gradient for conv2d_tex_wgrad.wgsl, a chunk of nb images from image n0, as
// the B operand of the weight-gradient GEMM (rows are output pixels, texels 4 output channels):
//   texel (o4, (nl·OH + y)·XP + 4·(x mod W4e) + x div W4e) = [ dy[n0 + nl, o0 + 4·o4 + t, y, x] for t < 4 ]
//   (the pixel order of the staged input's segments, conv2d_tex_seg_pack.wgsl), 0 where x ≥ OW or the
//   channel is ≥ O. XP = 4·W4e: rows padded to whole pairs of quads, as the input staging is.
//   Channels o0 .. o0 + O − 1 of dy's OT: one block of a block-diagonal conv (all of them for a dense one).
// Layout: dy is NCHW (contiguous, OT channels) read in runs of {{V}} pixels ({{VT}}; V = 4 or 2 where
//   OW is a multiple of it, so a row's runs are aligned, else 1); the staged region (buffer rows of
//   `stride` texels, then copied into the texture by tex-stage.ts) is ceil(O / 4) texels wide, nb·OH·XP
//   rows high.
// Work split: one invocation per (texel column o4, output row), looping over the row's runs of V
//   pixels. Why: on lavapipe an invocation's fixed costs dominate a one-texel kernel (see
//   conv2d_tex_seg_pack.wgsl), and every storage load with a per-lane address is a loop over the lanes,
//   so loading four channels' runs as four VT and transposing them in registers costs one load per V
//   texels (V 4: 19.5 → 14.2 ms per vgg_mini MNIST step; V 2 on its 14² layers: 3.4 → 2.2–3.4 ms).
// Dispatch: ceil(O4·nb·OH / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>
#include <lib/dy_rows>

alias VT = {{VT}};
@group(0) @binding(0) var<storage, read> dy: array<VT>;
// The staged texels, rows of `stride` texels; tex-stage.ts copies them into the texture.
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
struct U { n0: u32, o: u32, o4: u32, oh: u32, ow: u32, xp: u32, stride: u32, rows: u32, o0: u32, ot: u32 }
@group(0) @binding(2) var<uniform> u: U;

// Pixel p of a run of V (a run of one pixel is a scalar).
fn at(v: VT, p: u32) -> f32 { return {{AT}}; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = flat_index(wid, nwg, lid, 64u);
  let r = e / u.o4; // output row nl·OH + y of the chunk
  let o4 = e - r * u.o4;
  if (r >= u.rows) { return; }
  let nl = r / u.oh;
  let y = r - nl * u.oh;
  let plane = u.oh * u.ow / {{V}}u;
  let o = 4u * o4;
  for (var xq = 0u; xq < u.xp / {{V}}u; xq++) { // pixels V·xq .. V·xq + V − 1
    // Runs of four channels (0 past O or past the row's end).
    var c0 = VT(0.0); var c1 = VT(0.0); var c2 = VT(0.0); var c3 = VT(0.0);
    if ({{V}}u * xq < u.ow) {
      let base = ((u.n0 + nl) * u.ot + u.o0) * plane + (y * u.ow) / {{V}}u + xq;
      if (o < u.o) { c0 = dy[base + o * plane]; }
      if (o + 1u < u.o) { c1 = dy[base + (o + 1u) * plane]; }
      if (o + 2u < u.o) { c2 = dy[base + (o + 2u) * plane]; }
      if (o + 3u < u.o) { c3 = dy[base + (o + 3u) * plane]; }
    }
    for (var p = 0u; p < {{V}}u; p++) {
      out[dy_staged_row(r, {{V}}u * xq + p, u.xp) * u.stride + o4] = vec4<f32>(at(c0, p), at(c1, p), at(c2, p), at(c3, p));
    }
  }
}
