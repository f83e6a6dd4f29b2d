// Batch-norm backward, per-channel reduction (one workgroup per channel):
//   gsum_c = Σ dy          (= ∂L/∂bias)
//   gdot_c = Σ dy · x̂     with x̂ = (x − mean_c)·invstd_c   (= ∂L/∂weight)
// dy is masked by y > 0 first when relu = 1 (the forward fused a ReLU; y is its output).
// invstd_c is read directly or, with from_var = 1 (eval mode), computed from the running variance.
// Layout: x, dy, y are [n, c, hw] contiguous (without relu the host binds dy as y; not read); mean is [2·c] (training) or [c] (eval); stat, gsum, gdot are [c]; M = n·hw.
// {{VT}} is f32 or vec4<f32> ({{V}} = 1 or 4 elements per load; 4 when hw % 4 == 0) and {{BY_PLANE}}
// chooses whole planes per invocation (CPU adapters) or a strided walk (GPUs): see bn_stats.wgsl.
// Dispatch: c workgroups of {{WG}} invocations; strided partial sums, then a workgroup tree reduction.
#include <lib/bn_center>

alias VT = {{VT}}; // also lib/bn_center's element type
const V = {{V}}u;
@group(0) @binding(0) var<storage, read> x: array<VT>;
@group(0) @binding(1) var<storage, read> dy: array<VT>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> stat: array<f32>;
@group(0) @binding(4) var<storage, read> y: array<VT>;
@group(0) @binding(5) var<storage, read_write> gsum: array<f32>;
@group(0) @binding(6) var<storage, read_write> gdot: array<f32>;
struct U { n: u32, c: u32, hw: u32, m: u32, from_var: u32, relu: u32, eps: f32 }
@group(0) @binding(7) var<uniform> u: U;

// The sum of a load's elements.
fn hsum(v: VT) -> f32 { return {{HSUM}}; }

var<workgroup> part_sum: array<f32, {{WG}}>;
var<workgroup> part_dot: array<f32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x;
  var s = VT(0.0);
  var d = VT(0.0);
  let m = mean_of(ch);
  let hwv = u.hw / V;
  if ({{BY_PLANE}} == 1) {
    // Whole (n, c) planes per invocation (see bn_stats.wgsl).
    for (var k = lid; k < u.n; k += {{WG}}u) {
      let base = (k * u.c + ch) * hwv;
      for (var t = 0u; t < hwv; t++) {
        let i = base + t;
        var g = dy[i];
        if (u.relu == 1u) { g = select(VT(0.0), g, y[i] > VT(0.0)); }
        s += g;
        d += g * centered(x[i], m);
      }
    }
  } else {
    // (sample k, position p, in loads) of load j = lid, lid + {{WG}}, …, advanced without a division per load.
    var k = lid / hwv;
    var p = lid % hwv;
    for (var j = lid; j < u.m / V; j += {{WG}}u) {
      let i = (k * u.c + ch) * hwv + p;
      var g = dy[i];
      if (u.relu == 1u) { g = select(VT(0.0), g, y[i] > VT(0.0)); }
      s += g;
      d += g * centered(x[i], m);
      p += {{WG}}u;
      while (p >= hwv) { p -= hwv; k += 1u; }
    }
  }
  part_sum[lid] = hsum(s);
  part_dot[lid] = hsum(d);
  workgroupBarrier();
  for (var k = {{WG}}u / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      part_sum[lid] = part_sum[lid] + part_sum[lid + k];
      part_dot[lid] = part_dot[lid] + part_dot[lid + k];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var invstd = stat[ch];
    if (u.from_var == 1u) { invstd = 1.0 / sqrt(invstd + u.eps); }
    gsum[ch] = part_sum[0];
    gdot[ch] = part_dot[0] * invstd;
  }
}
