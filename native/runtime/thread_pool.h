// One fork-join thread pool per process. The calling thread is worker 0; pool threads are
// 1..size-1, created lazily on the first parallel job, with FTZ/DAZ set on themselves.
// One job at a time: a second concurrent caller (another Plan, another env) runs its job
// alone on its own thread. Results never depend on the thread count (kernels split work
// so that every output has one writer and a fixed order), so that fallback is invisible.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace dh::runtime {

class ThreadPool {
 public:
  using Fn = void (*)(void* ctx, int tid, int nt);

  explicit ThreadPool(int size);
  ~ThreadPool();  // joins the threads
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls fn(ctx, tid, nt') for tid in [0, nt') on nt' = min(nt, size) threads (1 when the
  // pool is busy with another caller) and returns when all are done. fn must not throw.
  void run(int nt, Fn fn, void* ctx);

  template <class F>
  void run(int nt, F& f) {
    run(nt, [](void* c, int tid, int n) { (*static_cast<F*>(c))(tid, n); }, static_cast<void*>(&f));
  }

 private:
  void start_locked();
  void worker(int tid, uint64_t seen);

  const int size_;
  std::vector<std::thread> threads_;
  std::mutex run_mutex_;  // held by the caller of run() for the job's duration
  // Job word: sequence << 16 | participating thread count. Written last (release) by the
  // caller; read first (acquire) by the workers.
  std::atomic<uint64_t> job_{0};
  Fn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
};

// The process-wide pool. acquire/release bracket an addon instance's lifetime (one per
// Node environment: main thread and each worker_thread); the pool is joined when the last
// instance goes away, and recreated lazily if a new one appears.
void acquire_pool();
void release_pool();
// The pool (created lazily with config().threads threads). Only valid between acquire and
// release (the calling env holds a reference).
ThreadPool& pool();
int pool_size();  // configured size, without creating the pool

// Sets FTZ/DAZ on the current thread for the scope and restores the previous MXCSR after,
// so the calling thread (a libuv thread or the JS thread) computes exactly like the pool
// threads do and no JS code ever observes the change.
class ScopedDenormalsFlush {
 public:
  ScopedDenormalsFlush();
  ~ScopedDenormalsFlush();
  ScopedDenormalsFlush(const ScopedDenormalsFlush&) = delete;
  ScopedDenormalsFlush& operator=(const ScopedDenormalsFlush&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace dh::runtime
