#include "kernels/pack.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>  // baseline on x86-64
#define DH_PACK_SSE 1
#endif

namespace dh::kernels {
namespace {

// Compile-time panel widths for the ISAs we ship (4/6/8/12 rows, 8/16/32 columns) so the
// inner loops unroll; any other width takes the generic path.
template <int MR>
void pack_a_rows(const float* a, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, float* dst) {
  for (size_t ir = 0; ir < mc; ir += MR) {
    const size_t mrem = std::min<size_t>(MR, mc - ir);
    float* d = dst + ir * kc;
    const float* rows[MR];
    for (int i = 0; i < MR; ++i) rows[i] = a + (i0 + ir + std::min<size_t>(i, mrem - 1)) * lda + p0;
    if (mrem == MR) {
      size_t p = 0;
#if DH_PACK_SSE
      // 4×4 transposes: 4 k values of 4 rows per step; a remaining pair of rows (MR = 6)
      // is interleaved 2×4.
      for (; p + 4 <= kc; p += 4) {
        int i = 0;
        for (; i + 4 <= MR; i += 4) {
          __m128 r0 = _mm_loadu_ps(rows[i] + p), r1 = _mm_loadu_ps(rows[i + 1] + p);
          __m128 r2 = _mm_loadu_ps(rows[i + 2] + p), r3 = _mm_loadu_ps(rows[i + 3] + p);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(d + (p + 0) * MR + i, r0);
          _mm_storeu_ps(d + (p + 1) * MR + i, r1);
          _mm_storeu_ps(d + (p + 2) * MR + i, r2);
          _mm_storeu_ps(d + (p + 3) * MR + i, r3);
        }
        if (i + 2 <= MR) {
          const __m128 r0 = _mm_loadu_ps(rows[i] + p), r1 = _mm_loadu_ps(rows[i + 1] + p);
          const __m128 lo = _mm_unpacklo_ps(r0, r1), hi = _mm_unpackhi_ps(r0, r1);
          _mm_storel_pi(reinterpret_cast<__m64*>(d + (p + 0) * MR + i), lo);
          _mm_storeh_pi(reinterpret_cast<__m64*>(d + (p + 1) * MR + i), lo);
          _mm_storel_pi(reinterpret_cast<__m64*>(d + (p + 2) * MR + i), hi);
          _mm_storeh_pi(reinterpret_cast<__m64*>(d + (p + 3) * MR + i), hi);
          i += 2;
        }
        for (; i < MR; ++i) {
          for (size_t q = 0; q < 4; ++q) d[(p + q) * MR + i] = rows[i][p + q];
        }
      }
#endif
      for (; p < kc; ++p) {
        for (int i = 0; i < MR; ++i) d[p * MR + i] = rows[i][p];
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        for (int i = 0; i < MR; ++i) d[p * MR + i] = static_cast<size_t>(i) < mrem ? rows[i][p] : 0.0f;
      }
    }
  }
}

template <int MR>
void pack_a_cols(const float* a, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, float* dst) {
  for (size_t ir = 0; ir < mc; ir += MR) {
    const size_t mrem = std::min<size_t>(MR, mc - ir);
    float* d = dst + ir * kc;
    const float* src = a + p0 * lda + i0 + ir;
    if (mrem == MR) {
      for (size_t p = 0; p < kc; ++p) {
        for (int i = 0; i < MR; ++i) d[p * MR + i] = src[p * lda + i];
      }
    } else {
      for (size_t p = 0; p < kc; ++p) {
        for (int i = 0; i < MR; ++i) d[p * MR + i] = static_cast<size_t>(i) < mrem ? src[p * lda + i] : 0.0f;
      }
    }
  }
}

template <int NR>
void pack_b_rows(const float* b, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, float* dst) {
  for (size_t jr = 0; jr < nc; jr += NR) {
    const size_t nrem = std::min<size_t>(NR, nc - jr);
    float* d = dst + jr * kc;
    const float* src = b + p0 * ldb + j0 + jr;
    if (nrem == NR) {
      for (size_t p = 0; p < kc; ++p) std::memcpy(d + p * NR, src + p * ldb, NR * sizeof(float));
    } else {
      for (size_t p = 0; p < kc; ++p) {
        for (int j = 0; j < NR; ++j) d[p * NR + j] = static_cast<size_t>(j) < nrem ? src[p * ldb + j] : 0.0f;
      }
    }
  }
}

template <int NR>
void pack_b_cols(const float* b, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, float* dst) {
  for (size_t jr = 0; jr < nc; jr += NR) {
    const size_t nrem = std::min<size_t>(NR, nc - jr);
    float* d = dst + jr * kc;
    const float* src = b + (j0 + jr) * ldb + p0;
    size_t p = 0;
#if DH_PACK_SSE
    // A full panel by 4×4 transposes: 4 k values of 4 columns per step (NR is a multiple of 4).
    if (nrem == NR) {
      for (; p + 4 <= kc; p += 4) {
        for (int j = 0; j < NR; j += 4) {
          const float* s = src + j * ldb + p;
          __m128 r0 = _mm_loadu_ps(s), r1 = _mm_loadu_ps(s + ldb);
          __m128 r2 = _mm_loadu_ps(s + 2 * ldb), r3 = _mm_loadu_ps(s + 3 * ldb);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(d + (p + 0) * NR + j, r0);
          _mm_storeu_ps(d + (p + 1) * NR + j, r1);
          _mm_storeu_ps(d + (p + 2) * NR + j, r2);
          _mm_storeu_ps(d + (p + 3) * NR + j, r3);
        }
      }
    }
#endif
    // Blocks of 8 k values: each source row is read contiguously, the panel written in
    // cache-line-sized rows.
    for (; p + 8 <= kc; p += 8) {
      for (int j = 0; j < NR; ++j) {
        if (static_cast<size_t>(j) < nrem) {
          const float* s = src + j * ldb + p;
          for (int q = 0; q < 8; ++q) d[(p + q) * NR + j] = s[q];
        } else {
          for (int q = 0; q < 8; ++q) d[(p + q) * NR + j] = 0.0f;
        }
      }
    }
    for (; p < kc; ++p) {
      for (int j = 0; j < NR; ++j) d[p * NR + j] = static_cast<size_t>(j) < nrem ? src[j * ldb + p] : 0.0f;
    }
  }
}

void pack_a_generic(bool trans, const float* a, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, int mr,
                    float* dst) {
  const size_t MR = static_cast<size_t>(mr);
  for (size_t ir = 0; ir < mc; ir += MR) {
    const size_t mrem = std::min(MR, mc - ir);
    float* d = dst + ir * kc;
    for (size_t p = 0; p < kc; ++p) {
      for (size_t i = 0; i < MR; ++i) {
        const size_t row = i0 + ir + i, col = p0 + p;
        d[p * MR + i] = i < mrem ? (trans ? a[col * lda + row] : a[row * lda + col]) : 0.0f;
      }
    }
  }
}

void pack_b_generic(bool trans, const float* b, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, int nr,
                    float* dst) {
  const size_t NR = static_cast<size_t>(nr);
  for (size_t jr = 0; jr < nc; jr += NR) {
    const size_t nrem = std::min(NR, nc - jr);
    float* d = dst + jr * kc;
    for (size_t p = 0; p < kc; ++p) {
      for (size_t j = 0; j < NR; ++j) {
        const size_t row = p0 + p, col = j0 + jr + j;
        d[p * NR + j] = j < nrem ? (trans ? b[col * ldb + row] : b[row * ldb + col]) : 0.0f;
      }
    }
  }
}

}  // namespace

void pack_a(bool trans, const float* a, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, int mr,
            float* dst) {
  switch (mr) {
    case 4: return trans ? pack_a_cols<4>(a, lda, i0, mc, p0, kc, dst) : pack_a_rows<4>(a, lda, i0, mc, p0, kc, dst);
    case 6: return trans ? pack_a_cols<6>(a, lda, i0, mc, p0, kc, dst) : pack_a_rows<6>(a, lda, i0, mc, p0, kc, dst);
    case 8: return trans ? pack_a_cols<8>(a, lda, i0, mc, p0, kc, dst) : pack_a_rows<8>(a, lda, i0, mc, p0, kc, dst);
    case 12:
      return trans ? pack_a_cols<12>(a, lda, i0, mc, p0, kc, dst) : pack_a_rows<12>(a, lda, i0, mc, p0, kc, dst);
    default: return pack_a_generic(trans, a, lda, i0, mc, p0, kc, mr, dst);
  }
}

void pack_b(bool trans, const float* b, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, int nr,
            float* dst) {
  switch (nr) {
    case 8: return trans ? pack_b_cols<8>(b, ldb, p0, kc, j0, nc, dst) : pack_b_rows<8>(b, ldb, p0, kc, j0, nc, dst);
    case 16:
      return trans ? pack_b_cols<16>(b, ldb, p0, kc, j0, nc, dst) : pack_b_rows<16>(b, ldb, p0, kc, j0, nc, dst);
    case 32:
      return trans ? pack_b_cols<32>(b, ldb, p0, kc, j0, nc, dst) : pack_b_rows<32>(b, ldb, p0, kc, j0, nc, dst);
    default: return pack_b_generic(trans, b, ldb, p0, kc, j0, nc, nr, dst);
  }
}

}  // namespace dh::kernels
