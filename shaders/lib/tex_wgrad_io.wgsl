// The weight-gradient GEMM's operands, uniforms and output (included with `#include <lib/tex_wgrad_io>`
// by conv2d_tex_wgrad.wgsl and conv2d_tex_wgrad16.wgsl, whose headers describe the layouts): the two
// staged textures, the partial sums, where A row m = (input channel, tap) sits in the staged input
// (`arow`), and the store of a row's sums for four output channels (`put`).
@group(0) @binding(0) var ta: texture_storage_2d<rgba32float, read>;
@group(0) @binding(1) var tb: texture_storage_2d<rgba32float, read>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
struct U {
  m: u32, o: u32, taps: u32, kw: u32,
  dh: u32, sh: u32, hp: u32, c8: u32,
  oh: u32, w4: u32, rows: u32, acc: u32,
  rps: u32, c: u32, cg4: u32, sw: u32,
  dw: u32,
}
@group(0) @binding(3) var<uniform> u: U;

// Texture offsets of A row m: column offset of tap j, row offset of channel c and tap row i.
fn arow(m: u32) -> vec2<u32> {
  let mc = min(m, u.m - 1u);
  let c = mc / u.taps;
  let tap = mc - c * u.taps;
  let i = tap / u.kw;
  return vec2<u32>((tap - i * u.kw) * u.dw, c * u.hp + i * u.dh);
}

// Stores (or adds) row r's sums of slice s for output channels col .. col + 3.
fn put(s: u32, r: u32, col: u32, v: vec4<f32>) {
  if (r >= u.m) { return; }
  let c = r / u.taps;
  let base = ((s * u.taps + r - c * u.taps) * u.c + c) * u.cg4 + col;
  for (var t = 0u; t < 4u; t++) {
    if (col + t < u.o) { part[base + t] = select(v[t], part[base + t] + v[t], u.acc == 1u); }
  }
}
