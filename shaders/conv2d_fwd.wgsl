// conv2d forward as an implicit GEMM (no im2col buffer: input patches are gathered on the fly):
//   out[n,o,y,x] = bias[o] + Σ_{i,j} Σ_c in[n, c, y·sh − ph + i·dh, x·sw − pw + j·dw] · w[o,c,i,j]
// GEMM view: M = output channels, N = output pixels (n,y,x flattened), K = taps × input channels.
// Loop order is tap-outer, channel-inner so each pixel's patch offset and padding test are computed
// once per tap, and the inner loop is only loads and FMAs.
// Layout: x NCHW; wt = weights pre-transposed by the host to [KH·KW][Ci][cg] vec4 over 4 output
// channels (cg = ceil(Co/4), zero-padded); bias [cg·4] zero-padded; out NCHW.
// Variants:
//   {{TILED}} = 0 (CPU adapters): register tiling, no workgroup memory, no barriers. Each invocation
//     computes 4 output channels (one vec4) × 4 pixels. Workgroup = 64 invocations; its 256 pixels are
//     interleaved (pixel = block·256 + j·64 + lid) so neighbouring invocations read neighbouring inputs.
//   {{TILED}} = 1 (GPUs): 16×16 invocations share a 64-channel × 64-pixel tile, staging 16 input
//     channels of weights and patches per step in workgroup memory; each invocation still owns 4×4.
//   {{FAST1X1}} = 1: 1×1 kernel, stride 1, no padding — a pixel's input offset is n·Ci·H·W + y·W + x.
// Dispatch: x = pixel blocks (256 register / 64 tiled; folded into y past 65535),
//           z = output-channel blocks (4 register / 64 tiled).
#include <lib/index>
#include <lib/conv_gemm>

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// c_red: channels summed over (Ci); c_out: channels produced (Co); cg = ceil(c_out / 4);
// src_*: the image read (H, W); dst_*: the image written (OH, OW); pixels = N·OH·OW.
struct U {
  n: u32, c_red: u32, c_out: u32, cg: u32,
  src_h: u32, src_w: u32, dst_h: u32, dst_w: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: i32, pw: i32, dh: u32, dw: u32,
  pixels: u32,
}
@group(0) @binding(4) var<uniform> u: U;

const TILED: u32 = {{TILED}}u;
const FAST1X1: u32 = {{FAST1X1}}u;
const NG: u32 = {{NG}}u; // register variant: groups of 4 output channels per invocation (1 or 2)


// Per-pixel patch origin: image base offset, top-left input row/column, in range.
struct Pix { base: vec4<u32>, y0: vec4<i32>, x0: vec4<i32>, ok: vec4<bool> }

fn pixels_of(p: vec4<u32>) -> Pix {
  let hw = u.dst_h * u.dst_w;
  let n = p / vec4(hw);
  let r = p % vec4(hw);
  let y = r / vec4(u.dst_w);
  let xo = r % vec4(u.dst_w);
  let base = n * vec4(u.c_red * u.src_h * u.src_w);
  return Pix(base, vec4<i32>(y * vec4(u.sh)) - vec4(u.ph), vec4<i32>(xo * vec4(u.sw)) - vec4(u.pw), p < vec4(u.pixels));
}

// Input offsets (channel 0) of tap (i, j) for the 4 pixels; -1 where the tap reads padding.
fn tap_offsets(q: Pix, i: u32, j: u32) -> vec4<i32> {
  if (FAST1X1 == 1u) {
    return select(vec4(-1), vec4<i32>(q.base) + q.y0 * vec4(i32(u.src_w)) + q.x0, q.ok);
  }
  let iy = q.y0 + vec4(i32(i * u.dh));
  let ix = q.x0 + vec4(i32(j * u.dw));
  let inside = q.ok & (iy >= vec4(0)) & (iy < vec4(i32(u.src_h))) & (ix >= vec4(0)) & (ix < vec4(i32(u.src_w)));
  return select(vec4(-1), vec4<i32>(q.base) + iy * vec4(i32(u.src_w)) + ix, inside);
}

// The 4 pixels' input values at channel offset `coff` (0 where the tap reads padding).
fn store(p: u32, c0: u32, acc: vec4<f32>) {
  if (p >= u.pixels) { return; }
  let hw = u.dst_h * u.dst_w;
  let ob = (p / hw) * u.c_out * hw + p % hw;
  for (var c = 0u; c < 4u; c++) {
    let o = c0 + c;
    if (o < u.c_out) { out[ob + o * hw] = acc[c] + bias[o]; }
  }
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blk = wid.x + wid.y * nwg.x;
  if (TILED == 1u) { run_tiled(blk, wid.z, lid); } else { run_register(blk, wid.z, lid); }
}
