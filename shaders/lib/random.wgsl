// Philox4x32-10 counter-based generator (included with `#include <lib/random>`), bit-identical to
// src/tensor/random.ts. Element i of a draw (seed, offset) is lane i % 4 of the block at counter
// (offset + i / 4) under key (seed_lo, seed_hi). No 64-bit integers in WGSL: mulhi from 16-bit halves.

fn mulhi32(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu; let a_hi = a >> 16u;
  let b_lo = b & 0xffffu; let b_hi = b >> 16u;
  let lolo = a_lo * b_lo;
  let lohi = a_lo * b_hi;
  let hilo = a_hi * b_lo;
  let hihi = a_hi * b_hi;
  let mid = (lolo >> 16u) + (lohi & 0xffffu) + (hilo & 0xffffu);
  return hihi + (lohi >> 16u) + (hilo >> 16u) + (mid >> 16u);
}

fn philox4x32(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi32(0xd2511f53u, c.x); let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi32(0xcd9e8d57u, c.z); let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}

// 32 random bits for element i. `offset` is a 64-bit counter base split in (lo, hi).
fn random_bits(i: u32, key: vec2<u32>, offset_lo: u32, offset_hi: u32) -> u32 {
  let block = i / 4u;
  let lo = offset_lo + block;
  let carry = select(0u, 1u, lo < offset_lo);
  let b = philox4x32(vec4<u32>(lo, offset_hi + carry, 0u, 0u), key);
  let lane = i % 4u;
  return select(select(select(b.w, b.z, lane == 2u), b.y, lane == 1u), b.x, lane == 0u);
}

// Uniform [0, 1), exact: 24 random bits times 2^-24.
fn bits_to_uniform(bits: u32) -> f32 {
  return f32(bits >> 8u) * 5.9604644775390625e-8;
}

// Standard normal from a 4097-entry fixed-point (2^20) inverse-CDF table, integer interpolation;
// `table` is a storage array<i32> bound by the kernel. Returns the fixed-point value.
fn bits_to_normal_fixed(bits: u32, t0: i32, t1: i32) -> i32 {
  let frac = i32((bits >> 8u) & 0xfffu);
  return t0 + (((t1 - t0) * frac) >> 12u);
}
