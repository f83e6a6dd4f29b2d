// Inverted dropout with a Philox4x32-10 mask (bit-identical to src/kernels/cpu/dropout.ts):
//   keep_i = (bits_i >> 8) ≥ threshold,   out_i = keep_i ? x_i · scale : 0
// threshold = round(p · 2²⁴) and scale = 1/(1 − p) come from the host. The test is on integers, so
// both backends draw the same mask with no float rounding in between. The backward pass runs this
// same kernel on dy with the same (seed, offset): the same mask, the same scale.
// Layout: x, out contiguous, n elements; element i uses random draw i of (seed, offset).
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/random>

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct U { n: u32, key_lo: u32, key_hi: u32, off_lo: u32, off_hi: u32, threshold: u32, scale: f32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let bits = random_bits(i, vec2<u32>(u.key_lo, u.key_hi), u.off_lo, u.off_hi);
  out[i] = select(0.0, x[i] * u.scale, (bits >> 8u) >= u.threshold);
}
