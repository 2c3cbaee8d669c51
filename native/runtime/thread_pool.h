// One fork-join thread pool per process. The calling thread is slot 0; pool threads are
// 1..size-1, created lazily on the first parallel job, with FTZ/DAZ set on themselves.
//
// A job is a list of tasks that threads claim from an atomic counter, the caller included.
// Why not a fixed task per thread: the machine is shared (other processes, Node's own
// threads), and a pool thread that is descheduled or still waking from sleep would stall
// the whole join; here the caller simply runs the tasks nobody claimed, and a late thread
// that finds the job closed does nothing. Kernels make a task's result independent of the
// thread that runs it (every output has one writer and a fixed order; scratch is picked
// by slot), so results never depend on the thread count or on who ran what.
//
// One job at a time: a second concurrent caller (another Plan, another env) runs its
// tasks alone on its own thread, which is invisible for the same reason.
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
  // fn(ctx, task, ntasks, slot): slot in [0, threads) names the executing thread (for
  // per-thread scratch); the caller is slot 0.
  using Fn = void (*)(void* ctx, int task, int ntasks, int slot);

  explicit ThreadPool(int size);
  ~ThreadPool();  // joins the threads
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls fn for every task in [0, ntasks) exactly once, on at most min(ntasks, threads,
  // size) threads (only the caller when the pool is busy with another caller), and returns
  // when all are done. fn must not throw.
  void run(int ntasks, int threads, Fn fn, void* ctx);

  template <class F>
  void run(int ntasks, int threads, F& f) {
    run(ntasks, threads, [](void* c, int task, int n, int slot) { (*static_cast<F*>(c))(task, n, slot); },
        static_cast<void*>(&f));
  }

  // While held (more hold() than release() calls), idle workers poll for the next job and never
  // sleep: for a caller that runs jobs back to back, like train steps. After ~70 µs of polling a
  // worker sleeps, and one that finished its lane that much before the other lane did is woken
  // late for the update (a futex wake-up on this VM). Hold only while the jobs keep coming: a
  // held pool keeps its idle cores busy.
  void hold() { holds_.fetch_add(1, std::memory_order_relaxed); }
  void release() { holds_.fetch_sub(1, std::memory_order_relaxed); }

 private:
  void start_locked();
  void worker(int tid, uint64_t seen);
  void claim_tasks(int slot);

  const int size_;
  std::vector<std::thread> threads_;
  std::mutex run_mutex_;  // held by the caller of run() for the job's duration
  // Job word: sequence << 16 | participating thread count. Written last (release) by the
  // caller; read first (acquire) by the workers.
  std::atomic<uint64_t> job_{0};
  Fn fn_ = nullptr;
  void* ctx_ = nullptr;
  int ntasks_ = 0;
  std::atomic<int> next_task_{0};
  // Who is inside the current job: (sequence & 0xffffffff) << 32 | closed << 31 | active.
  // A pool thread joins by incrementing active while the sequence matches and closed is
  // clear; the caller sets closed once all tasks are claimed and waits for active == 0.
  std::atomic<uint64_t> state_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<int> holds_{0};
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
// so the calling thread (a job thread or the JS thread) computes exactly like the pool
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
