// out = (S + damping·I)⁻¹ for a symmetric positive definite n×n S (row-major float; only its
// lower triangle is read, like jsVectors.spdInverse), in double: Cholesky S + λI = UᵀU (U
// upper), W = U⁻ᵀ (lower), out = WᵀW, rounded once to float (out is exactly symmetric).
// Returns false, out untouched, when a pivot is not > 0 (not positive definite, or NaN/Inf in
// S). About n³ flops (n³/3 for each step); K-FAC's largest factor is 785×785.
//
// Layout: U and W are row-major in `scratch` with leading dimension spd_ld(n) = n rounded up
// to 8, so the 4×8 double tile kernel (KernelTable::f64_gemm_tn_4x8, one per ISA) always
// reads whole tiles; padding lanes are discarded. Blocking: Cholesky by block rows of 64
// (diagonal block unblocked, then the block row by forward substitution, then the trailing
// update in 4×8 tiles), W by column panels of 32 (independent forward substitutions), WᵀW by
// 4-row tiles of the lower triangle.
//
// Determinism: every element is computed by one task with an operation order fixed by those
// constants (the tile kernels add products in ascending p, without FMA), so the result is
// bit-identical for any thread count, and for every ISA (the kernels differ only in how many
// lanes of j they do at once). It is not bitwise jsVectors' (sequential Cholesky–Banachiewicz
// and column-by-column solves sum in other orders).
#pragma once

#include <cstddef>

#include "kernels/table.h"

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

inline constexpr size_t spd_ld(size_t n) { return (n + 7) / 8 * 8; }
// Doubles of scratch spd_inverse needs for n (U and W): 2·spd_ld(n)².
inline constexpr size_t spd_scratch_doubles(size_t n) { return 2 * spd_ld(n) * spd_ld(n); }

// scratch: spd_scratch_doubles(n) doubles, any content (s and out may alias: s is read in
// full before out is written). pool may be null (calling thread only).
bool spd_inverse(const KernelTable& t, runtime::ThreadPool* pool, size_t n, const float* s, double damping, float* out,
                 double* scratch);

}  // namespace dh::kernels
