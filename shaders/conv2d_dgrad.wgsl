// conv2d input gradient (dgrad) as an implicit GEMM, the transposed convolution of dy with w:
//   dx[n,c,y,x] = Σ_{i,j} Σ_o dy[n, o, (y + ph − i·dh)/sh, (x + pw − j·dw)/sw] · w[o,c,i,j]
// where a tap counts only if both divisions are exact and land inside dy. No col2im buffer.
// GEMM view: M = input channels, N = input pixels (n,y,x flattened), K = taps × output channels;
// tap-outer, channel-inner so each pixel's dy offset and validity are computed once per tap.
// Layout: dy NCHW (N, Co, OH, OW); wt = weights pre-transposed by the host to [KH·KW][Co][cg] vec4
// over 4 input channels (cg = ceil(Ci/4), zero-padded); out = dx NCHW (N, Ci, H, W).
// Variants, register/tiled tiles and dispatch exactly as conv2d_fwd.wgsl with the roles of the
// channels swapped ({{TILED}}, {{FAST1X1}}); x = input-pixel blocks, z = input-channel blocks.
#include <lib/index>
#include <lib/conv_pixels>
#include <lib/conv_gemm>

@group(0) @binding(0) var<storage, read> x: array<f32>; // dy
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// U (lib/conv_pixels): c_red = Co, c_out = Ci; src = dy (OH, OW), dst = dx (H, W).
@group(0) @binding(3) var<uniform> u: U;

const TILED: u32 = {{TILED}}u;
const FAST1X1: u32 = {{FAST1X1}}u;
const NG: u32 = {{NG}}u; // register variant: groups of 4 output channels per invocation (1 or 2)


// Origin of input rows (columns) r, for pixels_of: r + p, from which each tap subtracts i·dh (j·dw)
// before dividing by the stride s.
fn origin(r: vec4<u32>, s: u32, p: i32) -> vec4<i32> {
  return vec4<i32>(r) + vec4(p);
}

// dy offsets (channel 0) of tap (i, j) for the 4 pixels; -1 where no output pixel used this input
// through that tap (outside dy, or between strides).
fn tap_offsets(q: Pix, i: u32, j: u32) -> vec4<i32> {
  if (FAST1X1 == 1u) {
    return select(vec4(-1), vec4<i32>(q.base) + q.y0 * vec4(i32(u.src_w)) + q.x0, q.ok);
  }
  let ty = q.y0 - vec4(i32(i * u.dh));
  let tx = q.x0 - vec4(i32(j * u.dw));
  let s = vec2(i32(u.sh), i32(u.sw));
  let oy = ty / vec4(s.x);
  let ox = tx / vec4(s.y);
  let inside = q.ok & (ty >= vec4(0)) & (tx >= vec4(0)) & (oy * vec4(s.x) == ty) & (ox * vec4(s.y) == tx)
    & (oy < vec4(i32(u.src_h))) & (ox < vec4(i32(u.src_w)));
  return select(vec4(-1), vec4<i32>(q.base) + oy * vec4(i32(u.src_w)) + ox, inside);
}

// Writes 4 input-gradient channels from c0 of pixel p (those below c_out).
fn store(p: u32, c0: u32, acc: vec4<f32>) {
  if (p >= u.pixels) { return; }
  let hw = u.dst_h * u.dst_w;
  let ob = (p / hw) * u.c_out * hw + p % hw;
  for (var c = 0u; c < 4u; c++) {
    let o = c0 + c;
    if (o < u.c_out) { out[ob + o * hw] = acc[c]; }
  }
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blk = wid.x + wid.y * nwg.x;
  if (TILED == 1u) { run_tiled(blk, wid.z, lid); } else { run_register(blk, wid.z, lid); }
}
