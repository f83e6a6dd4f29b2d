// Random fill with Philox4x32-10 (bit-identical to src/tensor/random.ts):
//   uniform: out[i] = a + U_i * (b - a)        normal: out[i] = Z_i * b + a  (Z from the quantile table)
// Layout: out contiguous; `table` is the 4097-entry inverse-CDF table (bound for both variants).
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/random>

@group(0) @binding(0) var<storage, read> table: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct U { n: u32, key_lo: u32, key_hi: u32, off_lo: u32, off_hi: u32, a: f32, b: f32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let bits = random_bits(i, vec2<u32>(u.key_lo, u.key_hi), u.off_lo, u.off_hi);
  if ({{NORMAL}} == 1) {
    let idx = bits >> 20u;
    let z = f32(bits_to_normal_fixed(bits, table[idx], table[idx + 1u])) * 9.5367431640625e-7;
    out[i] = z * u.b + u.a;
  } else {
    out[i] = u.a + bits_to_uniform(bits) * (u.b - u.a);
  }
}
