// Float tests that survive the compiler (included with `#include <lib/float>`). WGSL lets an
// implementation assume that NaNs do not occur, and lavapipe's LLVM does: `v != v` folds to false. The
// bit pattern cannot be folded away: exponent all ones and a nonzero mantissa.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
