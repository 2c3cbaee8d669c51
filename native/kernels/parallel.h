// Splitting portable kernels over the thread pool. Work is cut into contiguous ranges whose
// boundaries are multiples of `align`; each range is computed by one thread with the same
// code as a serial run would use, and kernels that go through here compute every output
// from a fixed set of inputs in a fixed order, so results never depend on the thread count
// (nor on which thread ran which range). Small inputs stay on the calling thread.
#pragma once

#include <algorithm>
#include <cstddef>

#include "runtime/thread_pool.h"

namespace dh::kernels {

constexpr size_t kChunk = 64;                   // default range alignment (elements)
constexpr size_t kMinElemsPerThread = 1 << 15;  // cheap elementwise work below this stays serial

// Threads worth using for `units` of work when a thread should get at least `min_units`.
inline int threads_for(runtime::ThreadPool* pool, size_t units, size_t min_units_per_thread) {
  if (!pool) return 1;
  const size_t by_work = std::max<size_t>(1, units / std::max<size_t>(1, min_units_per_thread));
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(pool->size()), by_work));
}

// [begin, end) of part tid out of nt over n elements, boundaries on multiples of `align`.
inline void split_range(size_t n, size_t align, int tid, int nt, size_t* begin, size_t* end) {
  const size_t blocks = (n + align - 1) / align;
  *begin = std::min(n, blocks * static_cast<size_t>(tid) / static_cast<size_t>(nt) * align);
  *end = std::min(n, blocks * static_cast<size_t>(tid + 1) / static_cast<size_t>(nt) * align);
}

// body(begin, end) over [0, n) on up to nt threads.
template <class F>
void parallel_ranges(runtime::ThreadPool* pool, int nt, size_t n, size_t align, F&& body) {
  const size_t parts = (n + align - 1) / align;
  if (static_cast<size_t>(nt) > parts) nt = static_cast<int>(std::max<size_t>(parts, 1));
  if (nt <= 1 || !pool) {
    if (n > 0) body(size_t(0), n);
    return;
  }
  auto job = [&](int task, int ntasks, int /*slot*/) {
    size_t b, e;
    split_range(n, align, task, ntasks, &b, &e);
    if (b < e) body(b, e);
  };
  pool->run(nt, nt, job);
}

// body(begin, end) over [0, n) items costing about `cost` elements of cheap work each.
template <class F>
void parallel_for(runtime::ThreadPool* pool, size_t n, size_t align, size_t cost, F&& body) {
  parallel_ranges(pool, threads_for(pool, n * std::max<size_t>(cost, 1), kMinElemsPerThread), n, align, body);
}

}  // namespace dh::kernels
