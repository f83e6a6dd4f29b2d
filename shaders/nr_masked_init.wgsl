// Neural Rejuvenation surgery: build a widened tensor in [S | R] channel order (docs/method.md §7.2).
// out viewed as [R, C, inner]; src is the gathered survived block [a, b, inner]. Element (i, j, t):
//   i < a,  j < b : src[(i·b + j)·inner + t]                         (S→S, preserved)
//   i >= a, j < b : block "sr"   (rejuvenated rows reading survived inputs)
//   i < a,  j >= b: block "rs"   (survived rows reading rejuvenated inputs)
//   i >= a, j >= b: block "rr"
// Each block is either a constant (cross blocks 0, new γ 0.5, new running var 1) or Z·std with Z the
// counter-based normal of element (i, j, t)'s flat index (Philox + inverse-CDF table, bit-identical to
// src/tensor/random.ts). No `+ mean`: a fused multiply-add could round differently from the reference.
// Layout: src f32, table i32[4097]; out f32[R·C·inner].
// Dispatch: ceil(R·C·inner / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/random>

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct U {
  n: u32, c: u32, inner: u32, a: u32,
  b: u32, key_lo: u32, key_hi: u32, off_lo: u32,
  off_hi: u32, sr_rand: u32, rs_rand: u32, rr_rand: u32,
  sr_val: f32, rs_val: f32, rr_val: f32,
}
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_index(wid, nwg, lid, 256u);
  if (o >= u.n) { return; }
  let t = o % u.inner;
  let ij = o / u.inner;
  let j = ij % u.c;
  let i = ij / u.c;
  if (i < u.a && j < u.b) {
    out[o] = src[(i * u.b + j) * u.inner + t];
    return;
  }
  var rnd = u.rr_rand;
  var val = u.rr_val;
  if (j < u.b) { rnd = u.sr_rand; val = u.sr_val; }
  else if (i < u.a) { rnd = u.rs_rand; val = u.rs_val; }
  if (rnd == 0u) {
    out[o] = val;
  } else {
    let bits = random_bits(o, vec2<u32>(u.key_lo, u.key_hi), u.off_lo, u.off_hi);
    let idx = bits >> 20u;
    let z = f32(bits_to_normal_fixed(bits, table[idx], table[idx + 1u])) * 9.5367431640625e-7;
    out[o] = z * val;
  }
}
