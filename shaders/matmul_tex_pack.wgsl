// Stages one operand of a batched matmul for matmul_tex.wgsl as the texels of an rgba32float texture
// (written to a buffer with rows of `stride` texels, then copied: src/kernels/webgpu/tex-stage.ts),
// zero-padded:
//   texel (t, b·RP + r) = op(X)[b][r][4t .. 4t+3], and 0 where r ≥ R or the column is ≥ C.
// op(X)[b][r][c] = x[b·R·C + r·rs + c·cs]: the strides (rs, cs) encode a transposed operand, read in
//   place; b runs over the operand's own batches (a broadcast operand is staged once).
// Layout: x is the operand as stored (contiguous); the staged region is W texels wide (W·4 ≥ C,
//   padded as matmul_tex.wgsl needs) and nb·RP rows high. The texture may be larger; the rest is untouched.
// Dispatch: one invocation per texel of the region, ceil(W·nb·RP / 64) workgroups of 64 (folded into 2-D).
#include <lib/index>

@group(0) @binding(0) var<storage, read> x: array<f32>;
// The staged texels, rows of `stride` texels; tex-stage.ts copies them into the texture.
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
struct U { rows: u32, cols: u32, rp: u32, w: u32, texels: u32, rs: u32, cs: u32, stride: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 64u);
  if (i >= u.texels) { return; }
  let t = i % u.w;
  let row = i / u.w;
  let b = row / u.rp;
  let r = row % u.rp;
  var v = vec4<f32>(0.0);
  if (r < u.rows) {
    let base = b * u.rows * u.cols + r * u.rs;
    for (var q = 0u; q < 4u; q++) {
      let c = 4u * t + q;
      if (c < u.cols) { v[q] = x[base + c * u.cs]; }
    }
  }
  out[row * u.stride + t] = v;
}
