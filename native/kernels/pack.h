// GEMM packing (portable, baseline code): copies a KC×NC block of op(B) into NR-wide
// micro-panels and an MC×KC block of op(A) into MR-tall micro-panels, zero-padding partial
// panels. All four transpose cases of C = op(A)·op(B) are absorbed here.
#pragma once

#include <cstddef>

namespace dh::kernels {

// op(A) is m×k: A[i·lda + p] (row-major) or, transposed, A[p·lda + i].
// Writes ceil(mc/mr) panels of mr×kc (mr values per k) at dst.
void pack_a(bool trans, const float* a, size_t lda, size_t i0, size_t mc, size_t p0, size_t kc, int mr,
            float* dst);

// op(B) is k×n: B[p·ldb + j] (row-major) or, transposed, B[j·ldb + p].
// Writes ceil(nc/nr) panels of kc×nr (nr values per k) at dst.
void pack_b(bool trans, const float* b, size_t ldb, size_t p0, size_t kc, size_t j0, size_t nc, int nr,
            float* dst);

}  // namespace dh::kernels
