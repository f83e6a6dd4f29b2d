// Batch-norm backward, elementwise input gradient:
//   training: dx = (dy − gsum_c/M − x̂ · gdot_c/M) · invstd_c · w_c     (batch statistics depend on x)
//   eval:     dx = dy · invstd_c · w_c                                  (running statistics are constants)
// where dy is first masked by y > 0 when relu = 1 (the forward fused a ReLU; y is its output),
// with x̂ = (x − mean_c)·invstd_c and gsum/gdot from bn_backward_reduce.wgsl. bn_coeffs.wgsl folds
// the per-channel factors: dx = g·A − B − ((x − K) − δ)·D (B = D = 0 in eval mode).
// Layout: x, dy, y, dx are [n, c, hw] contiguous (without relu the host binds dy as y; not read);
//   coef is [2·c] vec4s: (K, δ, A, B) at c, (D, 0, 0, 0) at c + C.
// {{VT}} is f32 or vec4<f32> ({{V}} = 1 or 4 elements per invocation; 4 when hw % 4 == 0, so the four
// share a channel and the channel index costs one division per four elements).
// Dispatch: ceil(n·c·hw / ({{V}}·256)) workgroups of 256 (folded into 2-D past 65535).
#include <lib/index>

alias VT = {{VT}};
@group(0) @binding(0) var<storage, read> x: array<VT>;
@group(0) @binding(1) var<storage, read> dy: array<VT>;
@group(0) @binding(2) var<storage, read> coef: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> y: array<VT>;
@group(0) @binding(4) var<storage, read_write> dx: array<VT>;
struct U { total: u32, c: u32, hw: u32, training: u32, relu: u32 }
@group(0) @binding(5) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.total) { return; }
  let ch = ((i * {{V}}u) / u.hw) % u.c;
  let p = coef[ch];
  var g = dy[i];
  if (u.relu == 1u) { g = select(VT(0.0), g, y[i] > VT(0.0)); }
  var v = g * VT(p.z);
  if (u.training == 1u) { v = v - VT(p.w) - ((x[i] - VT(p.x)) - VT(p.y)) * VT(coef[u.c + ch].x); }
  dx[i] = v;
}
