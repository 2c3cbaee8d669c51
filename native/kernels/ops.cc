#include "kernels/ops.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace dh::kernels {
namespace {

constexpr size_t kChunk = 64;                 // range alignment (elements)
constexpr size_t kMinElemsPerThread = 1 << 15;  // elementwise work below this stays serial

int threads_for(runtime::ThreadPool* pool, size_t units, size_t min_units_per_thread) {
  if (!pool) return 1;
  const size_t by_work = std::max<size_t>(1, units / std::max<size_t>(1, min_units_per_thread));
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(pool->size()), by_work));
}

// [begin, end) of thread tid out of nt over n elements, boundaries on multiples of `align`.
void split(size_t n, size_t align, int tid, int nt, size_t* begin, size_t* end) {
  const size_t blocks = (n + align - 1) / align;
  *begin = std::min(n, blocks * static_cast<size_t>(tid) / static_cast<size_t>(nt) * align);
  *end = std::min(n, blocks * static_cast<size_t>(tid + 1) / static_cast<size_t>(nt) * align);
}

template <class F>
void parallel_ranges(runtime::ThreadPool* pool, int nt, size_t n, size_t align, F&& body) {
  if (nt <= 1) {
    body(size_t(0), n);
    return;
  }
  auto job = [&](int task, int ntasks, int /*slot*/) {
    size_t b, e;
    split(n, align, task, ntasks, &b, &e);
    if (b < e) body(b, e);
  };
  pool->run(nt, nt, job);
}

}  // namespace

void relu_backward(const KernelTable& t, runtime::ThreadPool* pool, size_t n, const float* act, float* dz) {
  parallel_ranges(pool, threads_for(pool, n, kMinElemsPerThread), n, kChunk,
                  [&](size_t b, size_t e) { t.f32_relu_backward(e - b, act + b, dz + b); });
}

void colsum(const KernelTable& t, runtime::ThreadPool* pool, size_t rows, size_t cols, const float* x, size_t ldx,
            float* out, bool accumulate) {
  const int nt = threads_for(pool, rows * cols, kMinElemsPerThread);
  parallel_ranges(pool, static_cast<int>(std::min<size_t>(static_cast<size_t>(nt), (cols + kChunk - 1) / kChunk)), cols, kChunk,
                  [&](size_t b, size_t e) { t.f32_colsum(rows, e - b, x + b, ldx, out + b, accumulate); });
}

void softmax_ce(runtime::ThreadPool* pool, size_t rows, size_t classes, const float* z, const CeTargets& t,
                const CeOut& o) {
  const int nt = threads_for(pool, rows * classes, kMinElemsPerThread / 4);
  parallel_ranges(pool, static_cast<int>(std::min<size_t>(static_cast<size_t>(nt), rows)), rows, 1,
                  [&](size_t b, size_t e) { softmax_ce_rows(b, e, classes, z, t, o); });
}

void softmax(runtime::ThreadPool* pool, size_t rows, size_t classes, float* z) {
  const int nt = threads_for(pool, rows * classes, kMinElemsPerThread / 4);
  parallel_ranges(pool, static_cast<int>(std::min<size_t>(static_cast<size_t>(nt), rows)), rows, 1,
                  [&](size_t b, size_t e) { softmax_rows(b, e, classes, z); });
}

}  // namespace dh::kernels
