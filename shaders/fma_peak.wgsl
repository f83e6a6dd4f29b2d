// Arithmetic ceiling of the adapter: pure register FMAs, no memory traffic in the loop.
// Each invocation runs CHAINS independent vec4 fma chains x0..x{CHAINS-1} for `iters` steps
// (independent, so FMA latency is hidden). The host generates the per-chain lines (INIT,
// STEP, SUM) so every chain is a named register, not an array the compiler might keep in memory.
// FLOPs per invocation: 2 * 4 * CHAINS * iters.
// Layout: out is array<vec4<f32>>, one entry per invocation (it keeps the work live; nobody reads it).
// Dispatch: (groups, 1, 1) workgroups of WG invocations.

@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
struct U { iters: u32, seed: f32 }
@group(0) @binding(1) var<uniform> u: U;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  // Seeded from the invocation id and a uniform, so nothing is constant-folded.
  let s = f32(gid.x) * 1e-7 + u.seed;
  let m = vec4<f32>(0.9999);
  let a = vec4<f32>(1e-6);
  {{INIT}}
  for (var i = 0u; i < u.iters; i++) {
    {{STEP}}
  }
  out[gid.x] = {{SUM}};
}
