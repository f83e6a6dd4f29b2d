// Batch-norm training statistics, one workgroup per channel, and PyTorch's running-statistics update.
//   mean_c   = K + δ,  δ = Σ(x − K) / M,  K = the channel's first element. The mean is kept as the
//              unevaluated pair (K, δ): when |mean| ≫ std no f32 can hold K + δ to the std's digits
//              (ulp(1e4) ≈ 1e-3), but x − K is exact and (x − K) − δ keeps every digit.
//   var_c    = Σ((x − K) − δ)² / M  (second pass over x; never E[x²] − E[x]²)
//   invstd_c = 1 / sqrt(var_c + eps)
//   update == 1: running_mean = (1 − momentum)·running_mean + momentum·mean_c
//                running_var  = (1 − momentum)·running_var  + momentum·var_c·M/(M − 1)   (unbiased)
// Layout: x is [n, c, hw] contiguous (NCHW with hw = H·W), M = n·hw elements per channel.
// Outputs mean[2·c] (K in [0, c), δ in [c, 2c)), invstd[c]; running_mean[c], running_var[c] are updated in place (the host binds
// scratch buffers there when there are no running statistics, with update = 0).
// {{VT}} is f32 or vec4<f32> ({{V}} = 1 or 4 elements per load; 4 when hw % 4 == 0, so the four share
// a channel). Why vectors: on lavapipe every storage load with a per-lane address is a loop over the
// lanes, so four elements per load cost less (vgg_mini's MNIST step, profile rounds 2 → 3 in
// bench/results/profile-train-step.md: bn_stats 14.5 → 11.3 ms, bn_backward_reduce 22.7 → 20.4 ms).
// {{BY_PLANE}} 1 (CPU adapters): each invocation sums whole (n, c) planes k = lid, lid + {{WG}}, …, a
// contiguous run each; 0 (GPUs): invocations stride over the channel's elements, so that neighbours
// read neighbours. Why planes on CPUs: lavapipe pays per loop iteration of an invocation, and the
// strided walk's cursor costs more than the load (vgg_mini's MNIST step, same-machine A/B: bn_stats
// and bn_backward_reduce 27.3/25.7 → 15.0/15.9 ms).
// Dispatch: c workgroups of {{WG}} invocations, then a tree reduction in workgroup memory combines the
// partial sums.
alias VT = {{VT}};
const V = {{V}}u;
@group(0) @binding(0) var<storage, read> x: array<VT>;
@group(0) @binding(1) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> invstd_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_var: array<f32>;
struct U { n: u32, c: u32, hw: u32, m: u32, eps: f32, momentum: f32, one_minus_momentum: f32, unbias: f32, update: u32 }
@group(0) @binding(5) var<uniform> u: U;

var<workgroup> part: array<f32, {{WG}}>;

// Walks the channel's m / V loads j = start, start + {{WG}}, … as (sample k, position s, in loads)
// without a division per element: s advances by the stride and wraps into k.
struct Cursor { k: u32, s: u32 }
fn cursor(j: u32) -> Cursor { return Cursor(j / (u.hw / V), j % (u.hw / V)); }
fn advance(p: Cursor) -> Cursor {
  var q = Cursor(p.k, p.s + {{WG}}u);
  while (q.s >= u.hw / V) { q.s -= u.hw / V; q.k += 1u; }
  return q;
}
fn at(ch: u32, p: Cursor) -> VT {
  return x[(p.k * u.c + ch) * (u.hw / V) + p.s];
}
// The sum of a load's elements, and its first element.
fn hsum(v: VT) -> f32 { return {{HSUM}}; }
fn first(v: VT) -> f32 { return {{FIRST}}; }

// Sum of `v` over the workgroup, returned to every invocation.
fn wg_sum(v: f32, lid: u32) -> f32 {
  part[lid] = v;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  let total = part[0];
  workgroupBarrier(); // everyone has read part[0] before the next wg_sum overwrites it
  return total;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x;
  let shift = first(x[ch * (u.hw / V)]);
  let hwv = u.hw / V;
  var s = VT(0.0);
  if ({{BY_PLANE}} == 1) {
    for (var k = lid; k < u.n; k += {{WG}}u) {
      let base = (k * u.c + ch) * hwv;
      for (var t = 0u; t < hwv; t++) { s += x[base + t] - VT(shift); }
    }
  } else {
    var p = cursor(lid);
    for (var j = lid; j < u.m / V; j += {{WG}}u) {
      s += at(ch, p) - VT(shift);
      p = advance(p);
    }
  }
  let delta = wg_sum(hsum(s), lid) / f32(u.m);
  var q = VT(0.0);
  if ({{BY_PLANE}} == 1) {
    for (var k = lid; k < u.n; k += {{WG}}u) {
      let base = (k * u.c + ch) * hwv;
      for (var t = 0u; t < hwv; t++) {
        let d = (x[base + t] - VT(shift)) - VT(delta);
        q += d * d;
      }
    }
  } else {
    var p = cursor(lid);
    for (var j = lid; j < u.m / V; j += {{WG}}u) {
      let d = (at(ch, p) - VT(shift)) - VT(delta);
      q += d * d;
      p = advance(p);
    }
  }
  let variance = wg_sum(hsum(q), lid) / f32(u.m);
  if (lid == 0u) {
    mean_out[ch] = shift;
    mean_out[u.c + ch] = delta;
    invstd_out[ch] = 1.0 / sqrt(variance + u.eps);
    if (u.update == 1u) {
      running_mean[ch] = u.one_minus_momentum * running_mean[ch] + u.momentum * (shift + delta);
      running_var[ch] = u.one_minus_momentum * running_var[ch] + u.momentum * (variance * u.unbias);
    }
  }
}
