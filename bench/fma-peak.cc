// The machine's FP32 FMA peak, one core and two: 16 independent chains of AVX-512 FMAs (AVX2 with
// -DFMA_AVX2) per thread, no memory traffic; the ceiling every GFLOP/s figure in bench/ is read
// against. Build and run:
//   g++ -O2 -mavx512f -mfma -pthread bench/fma-peak.cc -o /tmp/fma-peak && /tmp/fma-peak
//   g++ -O2 -mavx2 -mfma -DFMA_AVX2 -pthread bench/fma-peak.cc -o /tmp/fma-peak2 && /tmp/fma-peak2
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <thread>

#ifdef FMA_AVX2
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float first(Vec v) { return _mm256_cvtss_f32(v); }
#else
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float first(Vec v) { return _mm512_cvtss_f32(v); }
#endif

// GFLOP/s of `iters` rounds of 16 FMAs (16 chains hide the FMA latency on two pipes).
static double gflops(long iters) {
  Vec acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = splat(1.0f + static_cast<float>(i) * 1e-7f);
  const Vec m = splat(0.9999999f), c = splat(1e-7f);
  const auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = fma(acc[i], m, c);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  float sink = 0;
  for (int i = 0; i < 16; ++i) sink += first(acc[i]);
  if (sink == 42.0f) std::puts("");  // keeps the chains live
  return static_cast<double>(iters) * 16 * kLanes * 2 / s / 1e9;
}

int main() {
  const long iters = 12500000;
  for (int r = 0; r < 5; ++r) {
    const double one = gflops(iters);
    double other = 0;
    std::thread t([&] { other = gflops(iters); });
    const double mine = gflops(iters);
    t.join();
    std::printf("1 core %.1f GFLOP/s   2 cores %.1f + %.1f = %.1f\n", one, mine, other, mine + other);
  }
}
