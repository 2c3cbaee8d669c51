// Fused optimizer kernels, AVX2 (-mavx2 -mfma), 8 lanes. Deliberately no FMA: separate IEEE
// mul/add/div/sqrt/max/min in the order of the scalar reference (kernels/table.h, the
// shared body kernels/optimizer_body.inc); the n mod 8 tail runs the scalar reference
// itself. So every ISA and every thread split produces the same bits.
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx2 {
namespace {

using V = __m256;
constexpr size_t W = 8;
inline V load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, V v) { _mm256_storeu_ps(p, v); }
inline V splat(float x) { return _mm256_set1_ps(x); }
inline V add(V a, V b) { return _mm256_add_ps(a, b); }
inline V sub(V a, V b) { return _mm256_sub_ps(a, b); }
inline V mul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V div(V a, V b) { return _mm256_div_ps(a, b); }
inline V vsqrt(V a) { return _mm256_sqrt_ps(a); }
inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }  // a > b ? a : b
inline V vmin(V a, V b) { return _mm256_min_ps(a, b); }  // a < b ? a : b
inline V vabs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline V vsign(V a) {
  const V zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  return _mm256_sub_ps(_mm256_and_ps(_mm256_cmp_ps(a, zero, _CMP_GT_OQ), one),
                       _mm256_and_ps(_mm256_cmp_ps(a, zero, _CMP_LT_OQ), one));
}

}  // namespace

#define DH_OPT_TAIL(kernel) scalar::kernel(n - i, param + i, grad + i, shift(st, i), s)
#include "kernels/optimizer_body.inc"
#undef DH_OPT_TAIL

}  // namespace dh::kernels::avx2
