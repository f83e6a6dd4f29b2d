// Neural Rejuvenation monitoring (docs/method.md §3.5): one pass over the batch-norm scales of every NR-conv
// layer at once. Per layer l (segment [off, off + len) of the concatenated γ buffer):
//   max_l   = max_c |γ_c|
//   dead_l  = whole layer dead when max_l < 1e-3 or no producer in its input list has a live channel
//   mask_c  = 1 if alive: !dead_l && (fixed_l || |γ_c| >= 0.01·max_l)    (dead is the strict "<")
//   count_l = Σ_c mask_c
// Layout: gamma f32[G] (concatenation of every layer's γ); info u32: for layer l the five words
// [5l .. 5l+4] = (offset, length, fixed, depStart, depCount), where info[depStart .. depStart+depCount)
// lists the producer layers whose outputs form layer l's input (depCount 0: the input is the image or a
// residual stream, which is always alive). Layers are in topological order, so producers come first.
// Outputs: mask f32[G], maxes f32[L], counts f32[L] (exact: counts < 2^24).
// Dispatch: exactly one workgroup of 64. The layer loop is sequential because "no live input" depends
// on earlier layers' counts; each layer costs a handful of barriers, negligible next to a training step.

@group(0) @binding(0) var<storage, read> gamma: array<f32>;
@group(0) @binding(1) var<storage, read> info: array<u32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> maxes: array<f32>;
@group(0) @binding(4) var<storage, read_write> counts: array<f32>;
struct U { layers: u32, live_thres: f32, all_dead_thres: f32 }
@group(0) @binding(5) var<uniform> u: U;

const WG = 64u;
var<workgroup> red: array<f32, 64>;
var<workgroup> alive: atomic<u32>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  for (var l = 0u; l < u.layers; l++) {
    let off = info[5u * l];
    let len = info[5u * l + 1u];
    let fixed = info[5u * l + 2u] != 0u;
    let dep_start = info[5u * l + 3u];
    let dep_count = info[5u * l + 4u];

    var m = 0.0;
    for (var i = lid; i < len; i += WG) { m = max(m, abs(gamma[off + i])); }
    red[lid] = m;
    if (lid == 0u) { atomicStore(&alive, 0u); }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
      if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
      workgroupBarrier();
    }
    let mx = red[0];

    // Earlier layers' counts were written by invocation 0; the barrier below (after this layer's
    // count) makes them visible here.
    var live_in = dep_count == 0u;
    for (var d = 0u; d < dep_count; d++) {
      if (counts[info[dep_start + d]] > 0.0) { live_in = true; }
    }
    let layer_dead = mx < u.all_dead_thres || !live_in;
    let thr = u.live_thres * mx;
    var n = 0u;
    for (var i = lid; i < len; i += WG) {
      let a = !layer_dead && (fixed || abs(gamma[off + i]) >= thr);
      mask[off + i] = select(0.0, 1.0, a);
      n += select(0u, 1u, a);
    }
    atomicAdd(&alive, n);
    workgroupBarrier();
    if (lid == 0u) {
      maxes[l] = mx;
      counts[l] = f32(atomicLoad(&alive));
    }
    storageBarrier();
    workgroupBarrier();
  }
}
