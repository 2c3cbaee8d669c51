// f32_adam_update and f32_sgd_update, AVX-512F, 16 lanes. Deliberately no FMA:
// separate IEEE mul/add/div/sqrt in the order of the scalar reference (scalar/optimizer.cc),
// so every ISA and every thread split produces the same bits.
#include <immintrin.h>

#include "kernels/table.h"

namespace dh::kernels::avx512 {

void f32_adam_update(size_t n, float* param, const float* grad, float* m, float* v, const AdamStep& s) {
  const bool l2 = !s.decoupled && s.wd != 0.0f;
  const bool decay = s.decoupled && s.wd != 0.0f;
  const __m512 wd = _mm512_set1_ps(s.wd), dec = _mm512_set1_ps(s.decay);
  const __m512 b1 = _mm512_set1_ps(s.b1), omb1 = _mm512_set1_ps(s.omb1);
  const __m512 b2 = _mm512_set1_ps(s.b2), omb2 = _mm512_set1_ps(s.omb2);
  const __m512 bc2 = _mm512_set1_ps(s.bc2_sqrt), eps = _mm512_set1_ps(s.eps);
  const __m512 ss = _mm512_set1_ps(s.step_size);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 th = _mm512_loadu_ps(param + i);
    __m512 g = _mm512_loadu_ps(grad + i);
    if (l2) g = _mm512_add_ps(g, _mm512_mul_ps(wd, th));
    if (decay) th = _mm512_mul_ps(th, dec);
    const __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(omb1, g));
    const __m512 vi =
        _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)), _mm512_mul_ps(omb2, _mm512_mul_ps(g, g)));
    _mm512_storeu_ps(m + i, mi);
    _mm512_storeu_ps(v + i, vi);
    const __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), bc2), eps);
    th = _mm512_sub_ps(th, _mm512_mul_ps(ss, _mm512_div_ps(mi, denom)));
    _mm512_storeu_ps(param + i, th);
  }
  // The tail is the scalar reference itself: same bits as every other ISA.
  scalar::f32_adam_update(n - i, param + i, grad + i, m + i, v + i, s);
}

void f32_sgd_update(size_t n, float* param, const float* grad, float* buf, const SgdStep& s) {
  const bool wdon = s.wd != 0.0f;
  const bool mom = s.momentum != 0.0f;
  const __m512 wd = _mm512_set1_ps(s.wd), mu = _mm512_set1_ps(s.momentum);
  const __m512 omd = _mm512_set1_ps(s.omd), lr = _mm512_set1_ps(s.lr);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 th = _mm512_loadu_ps(param + i);
    __m512 g = _mm512_loadu_ps(grad + i);
    if (wdon) g = _mm512_add_ps(g, _mm512_mul_ps(wd, th));
    if (mom) {
      const __m512 b =
          s.first ? g : _mm512_add_ps(_mm512_mul_ps(mu, _mm512_loadu_ps(buf + i)), _mm512_mul_ps(omd, g));
      _mm512_storeu_ps(buf + i, b);
      g = s.nesterov ? _mm512_add_ps(g, _mm512_mul_ps(mu, b)) : b;
    }
    _mm512_storeu_ps(param + i, _mm512_sub_ps(th, _mm512_mul_ps(lr, g)));
  }
  scalar::f32_sgd_update(n - i, param + i, grad + i, buf + i, s);
}

}  // namespace dh::kernels::avx512
