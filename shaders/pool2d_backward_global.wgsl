// Backward of global average pooling (adaptive to 1×1, the zoo's pooled tail): dx[plane, p] =
// dy[plane] / (H·W) for every position p of the plane. One invocation per plane, looping over it:
// on lavapipe an invocation's fixed costs dominate a one-element kernel (pool2d_backward.wgsl's
// general path spent 4.5 ms per vgg_mini MNIST step here).
// Layout: dy is [planes], dx is [planes, H·W], contiguous.
// Dispatch: ceil(planes / 64) workgroups of 64 (folded into 2-D past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
struct U { planes: u32, hw: u32 }
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let plane = flat_index(wid, nwg, lid, 64u);
  if (plane >= u.planes) { return; }
  // Divided, not multiplied by a reciprocal: the same rounding as the general kernel and the reference.
  let g = dy[plane] / f32(u.hw);
  for (var p = 0u; p < u.hw; p++) { dx[plane * u.hw + p] = g; }
}
