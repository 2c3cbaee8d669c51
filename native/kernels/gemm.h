// GEMM driver (portable; the micro-kernel comes from a KernelTable):
//   C = epilogue(alpha·op(A)·op(B) + beta·C), row-major, op(A) m×k, op(B) k×n, C m×n.
// BLIS loop nest: jc over NC, pc over KC (pack B), ic over MC (pack A), jr over NR,
// ir over MR → micro-kernel; partial edge tiles go through a small aligned tile buffer.
// Epilogue (bias per column, ReLU) is applied in the last KC block only. beta == 0 never
// reads C. alpha == 0 or k == 0 read neither A nor B.
//
// Threads: C is split into a grid of rectangles of whole MR×NR tiles, one thread each;
// every element is accumulated in the same k order and KC blocking whatever the split, so
// the result is bit-identical for any thread count.
#pragma once

#include <cstddef>

#include "kernels/table.h"
#include "runtime/memory.h"

namespace dh::runtime {
class ThreadPool;
}

namespace dh::kernels {

enum class Epilogue { kNone, kBias, kBiasRelu };

struct GemmArgs {
  bool trans_a = false, trans_b = false;
  size_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  size_t lda = 0;
  const float* b = nullptr;
  size_t ldb = 0;
  float beta = 0.0f;
  float* c = nullptr;
  size_t ldc = 0;
  const float* bias = nullptr;  // n values, used by kBias / kBiasRelu
  Epilogue epilogue = Epilogue::kNone;
  // k is summed in blocks of kc (0: the ISA's KC; larger values are capped to it), each block
  // from zero and then added to C in block order. A caller that fixes kc can split k at
  // multiples of it and add the partial products itself, bit for bit the same.
  size_t kc = 0;
};

// Per-thread packing buffers and edge tile, 64-byte aligned, sized once for the largest
// problem a user (a Plan, or the gemm test hook) will run.
class GemmWorkspace {
 public:
  GemmWorkspace() = default;
  // Room for `threads` threads running GEMMs with m <= max_m and n <= max_n.
  void reserve(const KernelTable& t, size_t max_m, size_t max_n, int threads);
  int threads() const { return threads_; }

  struct Scratch {
    float* a;
    size_t a_cap;  // floats
    float* b;
    size_t b_cap;
    float* tile;  // kMaxMr × kMaxNr
    float* bias;  // kMaxNr
  };
  Scratch scratch(int tid) const;

 private:
  runtime::AlignedArray<float> mem_;
  size_t a_cap_ = 0, b_cap_ = 0, stride_ = 0;
  int threads_ = 0;
};

// Runs the GEMM, on up to ws.threads() threads of pool when big enough (pool may be null:
// calling thread only, packing into the scratch of `slot`, the caller's pool slot when
// several threads each run their own GEMMs).
void gemm(const KernelTable& t, const GemmArgs& g, const GemmWorkspace& ws, runtime::ThreadPool* pool, int slot = 0);

}  // namespace dh::kernels
