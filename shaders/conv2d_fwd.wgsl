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
#include <lib/conv_pixels>
#include <lib/conv_gemm>

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// U (lib/conv_pixels): c_red = Ci, c_out = Co; src = the input (H, W), dst = the output (OH, OW).
@group(0) @binding(4) var<uniform> u: U;

const TILED: u32 = {{TILED}}u;
const FAST1X1: u32 = {{FAST1X1}}u;
const NG: u32 = {{NG}}u; // register variant: groups of 4 output channels per invocation (1 or 2)


// Patch origin of output rows (columns) r, for pixels_of: the top-left input row (column) r·s − p.
fn origin(r: vec4<u32>, s: u32, p: i32) -> vec4<i32> {
  return vec4<i32>(r * vec4(s)) - vec4(p);
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

// Writes 4 output channels from c0 of pixel p (those below c_out), adding their bias.
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
