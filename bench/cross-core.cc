// Cross-core costs of the machine (why lanes exist; see README Engines): round-trip latency of a
// cache line between CPU 0 and CPU 1, and read bandwidth of 4 MB the other core just wrote vs
// 4 MB this core wrote. Build and run: g++ -O3 -ffast-math -march=native -pthread bench/cross-core.cc -o /tmp/cross-core && /tmp/cross-core
#include <atomic>
#include <thread>
#include <chrono>
#include <cstdio>
#include <vector>
#include <cstring>
#include <pthread.h>
std::atomic<int> flag{0};
int main() {
  const int N = 200000;
  auto pin = [](int cpu){ cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu,&s); pthread_setaffinity_np(pthread_self(), sizeof(s), &s); };
  std::thread t([&]{ pin(1); for (int i = 0; i < N; ++i) { while (flag.load(std::memory_order_acquire) != 2*i+1) {} flag.store(2*i+2, std::memory_order_release);} });
  pin(0);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < N; ++i) { flag.store(2*i+1, std::memory_order_release); while (flag.load(std::memory_order_acquire) != 2*i+2) {} }
  auto t1 = std::chrono::steady_clock::now();
  t.join();
  printf("round trip %.1f ns\n", std::chrono::duration<double, std::nano>(t1-t0).count()/N);
  // bandwidth: thread 1 writes 4 MB, thread 0 reads it
  std::vector<float> buf(1<<20);
  std::atomic<int> phase{0};
  double total = 0; int reps = 50;
  std::thread w([&]{ pin(1); for (int r = 0; r < reps; ++r) { while (phase.load() != 2*r) {} for (auto& x : buf) x += 1.0f; phase.store(2*r+1); } });
  for (int r = 0; r < reps; ++r) { while (phase.load() != 2*r+1) {} auto a = std::chrono::steady_clock::now(); float s = 0; for (auto x : buf) s += x; auto b = std::chrono::steady_clock::now(); total += std::chrono::duration<double>(b-a).count(); if (s == 42) printf("x"); phase.store(2*r+2); }
  w.join();
  printf("cross-core read of 4 MB written by the other core: %.2f GB/s\n", reps * 4.0 / total / 1e3 * 1.048576);
  // same core
  total = 0;
  for (int r = 0; r < reps; ++r) { for (auto& x : buf) x += 1.0f; auto a = std::chrono::steady_clock::now(); float s = 0; for (auto x : buf) s += x; auto b = std::chrono::steady_clock::now(); total += std::chrono::duration<double>(b-a).count(); if (s == 42) printf("x"); }
  printf("same-core read of 4 MB it just wrote: %.2f GB/s\n", reps * 4.0 / total / 1e3 * 1.048576);
}
