// Max-pooling backward for 2×2 windows of stride 2 that tile the input exactly (H = 2·OH, W = 2·OW,
// no padding; VGG's and ResNet's pools): one invocation per window routes dy[o] to the window's
// argmax (idx[o] = h·W + w, the forward's first maximum) and writes zeros to its other three inputs.
// Why its own kernel: on lavapipe every storage access with a per-lane address costs a loop over the
// lanes, so the cost follows the accesses, not the bytes. The general kernel (pool2d_backward.wgsl)
// makes three per input element; here a window's four outputs take two loads and two vec2 stores
// (1 per element). W is even, so every row of dx starts on a vec2 boundary.
// Layout: dy and idx are [planes, OH, OW], dx is [planes, H, W] seen as vec2 pairs, contiguous.
// Work split: one invocation per output row, looping over its windows.
// Dispatch: ceil(planes·OH / 64) workgroups of 64 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/pool_window2>

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec2<f32>>;
struct U { rows: u32, oh: u32, ow: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let orow = flat_index(wid, nwg, lid, 64u); // plane·OH + oy
  if (orow >= u.rows) { return; }
  let row = row2(orow, u.oh, u.ow);
  let w = 2u * u.ow;
  for (var ox = 0u; ox < u.ow; ox++) {
    let o = orow * u.ow + ox;
    let g = dy[o];
    let hit = u32(idx[o]) - (row.at + 2u * ox); // the argmax against the window's corner: 0, 1 (top row) or W, W + 1
    dx[row.top + ox] = select(vec2(0.0), select(vec2(g, 0.0), vec2(0.0, g), hit == 1u), hit <= 1u);
    dx[row.top + u.ow + ox] = select(vec2(0.0), select(vec2(g, 0.0), vec2(0.0, g), hit == w + 1u), hit >= w);
  }
}
