// Max pooling over 2×2 windows of stride 2 that tile the input exactly (H = 2·OH, W = 2·OW, no
// padding; VGG's and ResNet's pools): y = the window's maximum, idx = its flat position h·W + w in
// the plane, the first maximum in row-major order, NaN winning as in pool2d.wgsl. Why its own kernel:
// on lavapipe every storage access with a per-lane address costs a loop over the lanes, so the
// window's two rows come as two vec2 loads instead of four scalar ones (W is even, so every row of
// x starts on a vec2 boundary).
// Layout: x is [planes, H, W] seen as vec2 pairs; y and idx are [planes, OH, OW], contiguous.
// Work split: one invocation per output row, looping over its windows (an invocation's fixed costs
// dominate a one-window kernel on lavapipe).
// Dispatch: ceil(planes·OH / 64) workgroups of 64 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/float>
#include <lib/pool_window2>

@group(0) @binding(0) var<storage, read> x: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<i32>;
struct U { rows: u32, oh: u32, ow: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let orow = flat_index(wid, nwg, lid, 64u); // plane·OH + oy
  if (orow >= u.rows) { return; }
  let row = row2(orow, u.oh, u.ow);
  let w = 2u * u.ow;
  for (var ox = 0u; ox < u.ow; ox++) {
    let a = x[row.top + ox];
    let b = x[row.top + u.ow + ox];
    let at = row.at + 2u * ox;
    var best = a.x;
    var arg = at;
    if (a.y > best || is_nan(a.y)) { best = a.y; arg = at + 1u; }
    if (b.x > best || is_nan(b.x)) { best = b.x; arg = at + w; }
    if (b.y > best || is_nan(b.y)) { best = b.y; arg = at + w + 1u; }
    y[orow * u.ow + ox] = best;
    idx[orow * u.ow + ox] = i32(arg);
  }
}
