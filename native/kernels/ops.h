// Threaded wrappers of the table's elementwise kernels and the softmax/CE rows. Work is
// split in contiguous ranges aligned to 64 elements (or whole rows/column blocks); every
// element is computed by one thread with the same code path, so results do not depend on
// the thread count. Small inputs stay on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/softmax_ce.h"
#include "kernels/table.h"

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

void relu_backward(const KernelTable& t, runtime::ThreadPool* pool, size_t n, const float* act, float* dz);

void colsum(const KernelTable& t, runtime::ThreadPool* pool, size_t rows, size_t cols, const float* x, size_t ldx,
            float* out, bool accumulate);

void softmax_ce(runtime::ThreadPool* pool, size_t rows, size_t classes, const float* z, const CeTargets& t,
                const CeOut& o);

void softmax(runtime::ThreadPool* pool, size_t rows, size_t classes, float* z);

}  // namespace dh::kernels
