// The loops of kernels/vector_ops.h (summation order and rounding documented there). Written
// with explicit lanes so that the baseline build vectorises the double reductions without
// reassociating anything (-ffp-contract=off, no -ffast-math): what runs is what is written.
#include "kernels/vector_ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/parallel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dh::kernels {
namespace {

constexpr int kLanes = 8;

inline size_t blocks_of(size_t n) { return (n + kVecBlock - 1) / kVecBlock; }

inline double combine(const double* l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

// One block [begin, end) of the dot product (begin is a multiple of kVecBlock, hence of 8).
double dot_block(const float* a, const float* b, size_t begin, size_t end) {
  double acc[kLanes] = {};
  size_t i = begin;
  for (; i + kLanes <= end; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += static_cast<double>(a[i + l]) * static_cast<double>(b[i + l]);
  for (int l = 0; i + static_cast<size_t>(l) < end; ++l)
    acc[l] += static_cast<double>(a[i + l]) * static_cast<double>(b[i + l]);
  return combine(acc);
}

double sum_abs_block(const float* x, size_t begin, size_t end) {
  double acc[kLanes] = {};
  size_t i = begin;
  for (; i + kLanes <= end; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += std::fabs(static_cast<double>(x[i + l]));
  for (int l = 0; i + static_cast<size_t>(l) < end; ++l) acc[l] += std::fabs(static_cast<double>(x[i + l]));
  return combine(acc);
}

// max over [begin, end) of |x[i]| as the bits of a float: for non-negative floats the bit
// patterns order like the values, +inf is 0x7f800000 and every NaN is above it.
#if defined(__SSE2__)
// x86-64 (SSE2 is its baseline): maxps keeps its second operand when the first is NaN, and NaNs
// are caught apart by cmpunordps. 100k floats: 8.4 µs, against 23 µs for the integer lanes below
// (SSE2 has no 32-bit integer max, so GCC emulates it).
uint32_t max_abs_bits(const float* x, size_t begin, size_t end) {
  const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  __m128 m0 = _mm_setzero_ps(), m1 = m0, m2 = m0, m3 = m0, unordered = m0;
  size_t i = begin;
  for (; i + 16 <= end; i += 16) {
    const __m128 a0 = _mm_and_ps(_mm_loadu_ps(x + i), abs_mask), a1 = _mm_and_ps(_mm_loadu_ps(x + i + 4), abs_mask);
    const __m128 a2 = _mm_and_ps(_mm_loadu_ps(x + i + 8), abs_mask), a3 = _mm_and_ps(_mm_loadu_ps(x + i + 12), abs_mask);
    m0 = _mm_max_ps(a0, m0);
    m1 = _mm_max_ps(a1, m1);
    m2 = _mm_max_ps(a2, m2);
    m3 = _mm_max_ps(a3, m3);
    unordered = _mm_or_ps(unordered, _mm_or_ps(_mm_cmpunord_ps(a0, a1), _mm_cmpunord_ps(a2, a3)));
  }
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, _mm_max_ps(_mm_max_ps(m0, m1), _mm_max_ps(m2, m3)));
  float m = 0.0f;
  for (float v : lanes) m = v > m ? v : m;
  bool any_nan = _mm_movemask_ps(unordered) != 0;
  for (; i < end; ++i) {
    const float a = std::fabs(x[i]);
    m = a > m ? a : m;
    any_nan |= a != a;
  }
  if (any_nan) return 0x7fc00000u;
  uint32_t bits;
  std::memcpy(&bits, &m, sizeof bits);
  return bits;
}
#else
// Integer lanes, which NEON vectorises (signed 32-bit max).
uint32_t max_abs_bits(const float* x, size_t begin, size_t end) {
  int32_t acc[kLanes] = {};
  size_t i = begin;
  for (; i + kLanes <= end; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      int32_t u;
      std::memcpy(&u, x + i + l, sizeof u);
      u &= 0x7fffffff;
      acc[l] = u > acc[l] ? u : acc[l];
    }
  for (; i < end; ++i) {
    int32_t u;
    std::memcpy(&u, x + i, sizeof u);
    u &= 0x7fffffff;
    acc[0] = u > acc[0] ? u : acc[0];
  }
  int32_t m = 0;
  for (int l = 0; l < kLanes; ++l) m = acc[l] > m ? acc[l] : m;
  return static_cast<uint32_t>(m);
}
#endif

double bits_value(uint32_t m) {
  if (m > 0x7f800000u) return std::numeric_limits<double>::quiet_NaN();
  float f;
  std::memcpy(&f, &m, sizeof f);
  return static_cast<double>(f);
}

// Σ over blocks in block order of block(begin, end): serially on the caller, or with the block
// partials computed on the pool and added in the same order afterwards.
template <class Block>
double block_sum(runtime::ThreadPool* pool, size_t n, Block&& block) {
  const size_t blocks = blocks_of(n);
  const int nt = threads_for(pool, n, kMinElemsPerThread);
  double total = 0.0;
  if (nt <= 1 || blocks <= 1) {
    for (size_t b = 0; b < blocks; ++b) total += block(b * kVecBlock, std::min(n, (b + 1) * kVecBlock));
    return total;
  }
  std::vector<double> partials(blocks);
  parallel_ranges(pool, nt, blocks, 1, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) partials[b] = block(b * kVecBlock, std::min(n, (b + 1) * kVecBlock));
  });
  for (size_t b = 0; b < blocks; ++b) total += partials[b];
  return total;
}

}  // namespace

double vec_dot(runtime::ThreadPool* pool, size_t n, const float* a, const float* b) {
  return block_sum(pool, n, [&](size_t s, size_t e) { return dot_block(a, b, s, e); });
}

double vec_sum_abs(runtime::ThreadPool* pool, size_t n, const float* x) {
  return block_sum(pool, n, [&](size_t s, size_t e) { return sum_abs_block(x, s, e); });
}

double vec_max_abs(runtime::ThreadPool* pool, size_t n, const float* x) {
  const int nt = threads_for(pool, n, kMinElemsPerThread);
  if (nt <= 1) return bits_value(max_abs_bits(x, 0, n));
  // One partial per range, combined by an atomic max (exact in any order; no allocation).
  std::atomic<uint32_t> m{0};
  parallel_ranges(pool, nt, n, kLanes, [&](size_t b, size_t e) {
    const uint32_t part = max_abs_bits(x, b, e);
    uint32_t cur = m.load(std::memory_order_relaxed);
    while (part > cur && !m.compare_exchange_weak(cur, part, std::memory_order_relaxed)) {
    }
  });
  return bits_value(m.load(std::memory_order_relaxed));
}

void vec_axpy(runtime::ThreadPool* pool, size_t n, double alpha, const float* x, float* y) {
  parallel_for(pool, n, kChunk, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      y[i] = static_cast<float>(static_cast<double>(y[i]) + alpha * static_cast<double>(x[i]));
  });
}

void vec_scale(runtime::ThreadPool* pool, size_t n, double alpha, float* x) {
  parallel_for(pool, n, kChunk, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) x[i] = static_cast<float>(static_cast<double>(x[i]) * alpha);
  });
}

void vec_add_scaled(runtime::ThreadPool* pool, size_t n, const float* x, double t, const float* d, float* out) {
  parallel_for(pool, n, kChunk, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      out[i] = static_cast<float>(static_cast<double>(x[i]) + t * static_cast<double>(d[i]));
  });
}

void vec_copy(runtime::ThreadPool* pool, size_t n, const float* x, float* out) {
  parallel_for(pool, n, kChunk, 1, [&](size_t b, size_t e) { std::memcpy(out + b, x + b, (e - b) * sizeof(float)); });
}

}  // namespace dh::kernels
