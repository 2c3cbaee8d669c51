// Whole-arena vector operations of the second-order methods (lib/engine/engine.ts VectorOps;
// the scalar reference is jsVectors in lib/second-order/vectors.ts). Portable C++ compiled for
// the baseline ISA and auto-vectorised: over arenas these are memory-bound, and the AVX2 build
// of the same loops was measured within ~1.3× of it (maxAbs uses integer lanes for that reason).
//
// Reductions (dot, sum_abs) accumulate in double in one fixed order: the vector is cut into
// blocks of kVecBlock elements; inside a block element i goes to lane i mod 8, the lanes are
// combined as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), and the block sums are added in
// block order starting from 0. A thread computes whole blocks, so the result is bit-identical
// for any thread count (and, being plain C++ without contraction, on any x86-64 CPU). A
// float × float product is exact in double, so additions are the only rounding: both this and
// the index-order sum of jsVectors are within (n − 1)·2⁻⁵³·Σ|aᵢbᵢ| (to first order) of the
// exact value. max_abs is exact (and NaN when any element is NaN, like jsVectors).
//
// Elementwise ops compute in double and round once to float, exactly the TS expressions on
// Float32Array elements (y[i] += α·x[i] evaluates y[i] + α·x[i] in double, the store rounds):
// bitwise equal to jsVectors, except that denormals are flushed (the caller holds a
// runtime::ScopedDenormalsFlush, as for every native kernel, so pool threads and the caller
// agree). Operands may be the same array (identical ranges) or disjoint; partial overlaps
// are rejected by the binding.
#pragma once

#include <cstddef>

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

constexpr size_t kVecBlock = 8192;  // reduction block (elements); a thread's unit of work

// Σ a[i]·b[i] in double (order above).
double vec_dot(runtime::ThreadPool* pool, size_t n, const float* a, const float* b);
// Σ |x[i]| in double (order above).
double vec_sum_abs(runtime::ThreadPool* pool, size_t n, const float* x);
// max |x[i]| (0 for n = 0), NaN when any x[i] is NaN.
double vec_max_abs(runtime::ThreadPool* pool, size_t n, const float* x);
// y[i] = float(y[i] + alpha·x[i]).
void vec_axpy(runtime::ThreadPool* pool, size_t n, double alpha, const float* x, float* y);
// x[i] = float(x[i]·alpha).
void vec_scale(runtime::ThreadPool* pool, size_t n, double alpha, float* x);
// out[i] = float(x[i] + t·d[i]).
void vec_add_scaled(runtime::ThreadPool* pool, size_t n, const float* x, double t, const float* d, float* out);
// out[i] = x[i] (disjoint arrays).
void vec_copy(runtime::ThreadPool* pool, size_t n, const float* x, float* out);

}  // namespace dh::kernels
