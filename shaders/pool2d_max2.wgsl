// Max pooling over 2×2 windows of stride 2 that tile the input exactly (H = 2·OH, W = 2·OW, no
// padding; VGG's and ResNet's pools): y = the window's maximum, idx = its flat position h·W + w in
// the plane, the first maximum in row-major order, NaN winning as in pool2d.wgsl. Why its own kernel:
// on lavapipe every storage access with a per-lane address costs a loop over the lanes, so the
// window's two rows come as two vec2 loads instead of four scalar ones (W is even, so every row of
// x starts on a vec2 boundary).
// Layout: x is [planes, H, W] seen as vec2 pairs; y and idx are [planes, OH, OW], contiguous.
// Dispatch: ceil(planes·OH·OW / 256) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>
#include <lib/float>
#include <lib/pool_window2>

@group(0) @binding(0) var<storage, read> x: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> idx: array<i32>;
struct U { total: u32, oh: u32, ow: u32 }
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = flat_index(wid, nwg, lid, 256u);
  if (o >= u.total) { return; }
  let win = window2(o, u.oh, u.ow);
  let a = x[win.top];
  let b = x[win.top + u.ow];
  let w = 2u * u.ow;
  let at = win.at;
  var best = a.x;
  var arg = at;
  if (a.y > best || is_nan(a.y)) { best = a.y; arg = at + 1u; }
  if (b.x > best || is_nan(b.x)) { best = b.x; arg = at + w; }
  if (b.y > best || is_nan(b.y)) { best = b.y; arg = at + w + 1u; }
  y[o] = best;
  idx[o] = i32(arg);
}
