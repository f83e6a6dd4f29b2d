// Classification accuracy on the device: out[0] = (1/N) · #{r : argmax_k x_rk == y_r}, ties going to
// the first maximum (as torch.argmax). A label outside [0, K) never matches.
// Layout: x is [N, K] contiguous f32, labels [N] i32, out [1] f32.
// Dispatch: 1 workgroup of {{WG}}; invocation t takes rows t, t + {{WG}}, …, then a tree reduction.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct U { n: u32, k: u32 }
@group(0) @binding(3) var<uniform> u: U;

var<workgroup> part: array<u32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) lid: u32) {
  var hits = 0u;
  for (var r = lid; r < u.n; r += {{WG}}u) {
    let base = r * u.k;
    var best = x[base];
    var arg = 0u;
    for (var j = 1u; j < u.k; j++) {
      let v = x[base + j];
      if (v > best) { best = v; arg = j; }
    }
    if (i32(arg) == labels[r]) { hits += 1u; }
  }
  part[lid] = hits;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = f32(part[0]) / f32(u.n); }
}
