#include "kernels/optim.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace dh::kernels {
namespace {

constexpr size_t kChunk = 64;                   // range alignment (elements)
constexpr size_t kMinElemsPerThread = 1 << 15;  // below this an update stays serial

int threads_for(runtime::ThreadPool* pool, size_t units, size_t min_units) {
  if (!pool) return 1;
  const size_t by_work = std::max<size_t>(1, units / std::max<size_t>(1, min_units));
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(pool->size()), by_work));
}

void split(size_t n, size_t align, int tid, int nt, size_t* begin, size_t* end) {
  const size_t blocks = (n + align - 1) / align;
  *begin = std::min(n, blocks * static_cast<size_t>(tid) / static_cast<size_t>(nt) * align);
  *end = std::min(n, blocks * static_cast<size_t>(tid + 1) / static_cast<size_t>(nt) * align);
}

Slots offset(const Slots& st, size_t i) {
  Slots r;
  for (int k = 0; k < 3; ++k) r.p[k] = st.p[k] ? st.p[k] + i : nullptr;
  return r;
}

double block_sum_squares(const float* x, size_t len) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    for (int l = 0; l < 8; ++l) {
      const double v = static_cast<double>(x[i + l]);
      acc[l] += v * v;
    }
  }
  for (int l = 0; i < len; ++i, ++l) {
    const double v = static_cast<double>(x[i]);
    acc[l] += v * v;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

void run_optimizer(runtime::ThreadPool* pool, size_t n, float* param, const float* grad, Slots st, RangeFn fn,
                   const void* ctx) {
  const int nt = threads_for(pool, n, kMinElemsPerThread);
  if (nt <= 1) {
    fn(ctx, n, param, grad, st);
    return;
  }
  auto job = [&](int task, int ntasks, int /*slot*/) {
    size_t b, e;
    split(n, kChunk, task, ntasks, &b, &e);
    if (b < e) fn(ctx, e - b, param + b, grad + b, offset(st, b));
  };
  pool->run(nt, nt, job);
}

double sum_squares(runtime::ThreadPool* pool, size_t n, const float* x, double* partials) {
  const size_t blocks = sum_squares_blocks(n);
  auto body = [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      const size_t start = b * kSumSquaresBlock;
      partials[b] = block_sum_squares(x + start, std::min(kSumSquaresBlock, n - start));
    }
  };
  const int nt = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads_for(pool, n, kMinElemsPerThread)), blocks));
  if (nt <= 1) {
    body(0, blocks);
  } else {
    auto job = [&](int task, int ntasks, int /*slot*/) {
      size_t b, e;
      split(blocks, 1, task, ntasks, &b, &e);
      if (b < e) body(b, e);
    };
    pool->run(nt, nt, job);
  }
  double total = 0;
  for (size_t b = 0; b < blocks; ++b) total += partials[b];
  return total;
}

}  // namespace dh::kernels
