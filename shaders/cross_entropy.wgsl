// Fused log-softmax + NLL (mean over rows, optional label smoothing ε), one workgroup:
//   lse_r  = m_r + log Σ_k exp(x_rk − m_r),  m_r = max_k x_rk
//   loss_r = lse_r − (1 − ε)·x_r,y_r − (ε/K)·Σ_k x_rk      (= (1 − ε)·NLL + ε·mean_k(−log p_rk), as PyTorch)
//   out[0] = Σ_r loss_r / N ;  lse[r] is kept for the backward kernel.
// A label outside [0, K) makes its row's loss NaN, and so the mean: labels live on the device, so the
// error surfaces at the step's readback instead of silently reading another class.
// Layout: x is [N, K] contiguous f32, labels [N] i32, lse [N], out [1].
// Dispatch: 1 workgroup of {{WG}}; invocation t takes rows t, t + {{WG}}, …, then a tree reduction.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
struct U { n: u32, k: u32, smoothing: f32, nan_bits: u32 }
@group(0) @binding(4) var<uniform> u: U;

var<workgroup> part: array<f32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < u.n; r += {{WG}}u) {
    let base = r * u.k;
    var m = x[base];
    for (var j = 1u; j < u.k; j++) { m = max(m, x[base + j]); }
    var s = 0.0;
    var sx = 0.0;
    for (var j = 0u; j < u.k; j++) {
      let v = x[base + j];
      s += exp(v - m);
      sx += v;
    }
    let l = m + log(s);
    lse[r] = l;
    let y = labels[r];
    if (y < 0 || u32(y) >= u.k) {
      acc += bitcast<f32>(u.nan_bits); // NaN (from a uniform: WGSL rejects NaN constants); see the header
    } else {
      acc += l - (1.0 - u.smoothing) * x[base + u32(y)] - (u.smoothing / f32(u.k)) * sx;
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = part[0] / f32(u.n); }
}
