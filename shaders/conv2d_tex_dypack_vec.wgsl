// conv2d_tex_dypack.wgsl for rows whose width OW is a multiple of V (4 or 2): the same staged texels,
// V pixels per load. Why: on lavapipe every storage load with a per-lane address is a loop over the
// lanes; loading four channels' runs of V pixels as four vec{V}s and transposing them in registers
// costs one load per V texels instead of one per texel (V 4: 19.5 → 14.2 ms per vgg_mini MNIST step).
//   texel (o4, (nl·OH + y)·XP + 4·(x mod W4e) + x div W4e) = [ dy[n0 + nl, o0 + 4·o4 + t, y, x] for t < 4 ],
//   0 where x ≥ OW or the channel is ≥ O; XP = 4·W4e (see conv2d_tex_dypack.wgsl).
// Layout: dy is NCHW (contiguous, OT channels; o0: see conv2d_tex_dypack.wgsl) seen as vec{V}s
//   (OW % V == 0, so a row's runs are aligned); the staged region (buffer rows of `stride` texels) is
//   ceil(O / 4) texels wide, nb·OH·XP rows high.
// Work split: one invocation per (texel column o4, output row), looping over the row's runs of V pixels.
// Dispatch: ceil(O4·nb·OH / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>
#include <lib/dy_rows>

@group(0) @binding(0) var<storage, read> dy: array<vec{{V}}<f32>>;
// The staged texels, rows of `stride` texels; tex-stage.ts copies them into the texture.
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
struct U { n0: u32, o: u32, o4: u32, oh: u32, ow: u32, xp: u32, stride: u32, rows: u32, o0: u32, ot: u32 }
@group(0) @binding(2) var<uniform> u: U;

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
    var c0 = vec{{V}}<f32>(0.0); var c1 = vec{{V}}<f32>(0.0); var c2 = vec{{V}}<f32>(0.0); var c3 = vec{{V}}<f32>(0.0);
    if ({{V}}u * xq < u.ow) {
      let base = ((u.n0 + nl) * u.ot + u.o0) * plane + (y * u.ow) / {{V}}u + xq;
      if (o < u.o) { c0 = dy[base + o * plane]; }
      if (o + 1u < u.o) { c1 = dy[base + (o + 1u) * plane]; }
      if (o + 2u < u.o) { c2 = dy[base + (o + 2u) * plane]; }
      if (o + 3u < u.o) { c3 = dy[base + (o + 3u) * plane]; }
    }
    for (var p = 0u; p < {{V}}u; p++) {
      out[dy_staged_row(r, {{V}}u * xq + p, u.xp) * u.stride + o4] = vec4<f32>(c0[p], c1[p], c2[p], c3[p]);
    }
  }
}
