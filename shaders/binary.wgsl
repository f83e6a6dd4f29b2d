// Elementwise binary op with NumPy broadcasting: out[i] = OP(a[ia(i)], b[ib(i)]).
// Layout: out contiguous over `shape`; a and b read through strides (0 on broadcast axes).
// Variant {{BROADCAST}} = 0: a, b and out share one shape (no index math).
// Dispatch: ceil(n / 256) workgroups of 256 (folded into 2-D by the host past 65535).
#include <lib/index>

@group(0) @binding(0) var<storage, read> a: array<{{T}}>;
@group(0) @binding(1) var<storage, read> b: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{TO}}>;
struct U { n: u32, rank: u32, shape: array<vec4<u32>, 2>, a_strides: array<vec4<u32>, 2>, b_strides: array<vec4<u32>, 2> }
@group(0) @binding(3) var<uniform> u: U;

// pow with the C/PyTorch conventions WGSL's pow leaves undefined: x^0 = 1, 0^y, negative bases
// with integral exponents.
fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x == 0.0) { return select(0.0, 1.0 / x, y < 0.0); }
  let m = pow(abs(x), y);
  if (x > 0.0) { return m; }
  if (floor(y) != y) { return pow(x, y); } // undefined in WGSL; NaN on every adapter we know
  return select(m, -m, (abs(y) % 2.0) == 1.0);
}

fn op(x: {{T}}, y: {{T}}) -> {{TO}} {
  return {{EXPR}};
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  if ({{BROADCAST}} == 0) {
    out[i] = op(a[i], b[i]);
  } else {
    out[i] = op(a[offset_of(i, u.rank, u.shape, u.a_strides)], b[offset_of(i, u.rank, u.shape, u.b_strides)]);
  }
}
