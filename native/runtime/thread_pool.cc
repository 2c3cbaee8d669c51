#include "runtime/thread_pool.h"

#include <algorithm>

#include "runtime/config.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#include <immintrin.h>
#define DH_X86 1
#endif

namespace dh::runtime {
namespace {

constexpr int kSpinIterations = 4000;  // ~tens of µs of polling before sleeping
constexpr unsigned kFtzDaz = 0x8040;   // MXCSR flush-to-zero | denormals-are-zero

inline void cpu_relax() {
#if DH_X86
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

void set_ftz_daz() {
#if DH_X86
  _mm_setcsr(_mm_getcsr() | kFtzDaz);
#endif
}

}  // namespace

ScopedDenormalsFlush::ScopedDenormalsFlush() {
#if DH_X86
  saved_ = _mm_getcsr();
  _mm_setcsr(saved_ | kFtzDaz);
#endif
}

ScopedDenormalsFlush::~ScopedDenormalsFlush() {
#if DH_X86
  _mm_setcsr(saved_);
#endif
}

ThreadPool::ThreadPool(int size) : size_(std::max(1, size)) {}

ThreadPool::~ThreadPool() {
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  if (threads_.empty()) return;
  stop_.store(true, std::memory_order_seq_cst);
  const uint64_t seq = (job_.load(std::memory_order_relaxed) >> 16) + 1;
  job_.store(seq << 16, std::memory_order_seq_cst);
  {
    std::lock_guard<std::mutex> lk(sleep_mutex_);
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void ThreadPool::start_locked() {
  // Each worker starts from the job word as it is now, before the first job is published,
  // so a thread that starts late still sees that job as new.
  const uint64_t initial = job_.load(std::memory_order_relaxed);
  threads_.reserve(static_cast<size_t>(size_ - 1));
  for (int tid = 1; tid < size_; ++tid) threads_.emplace_back([this, tid, initial] { worker(tid, initial); });
}

constexpr uint64_t kClosed = uint64_t(1) << 31;
constexpr uint64_t kActiveMask = kClosed - 1;

void ThreadPool::claim_tasks(int slot) {
  for (;;) {
    const int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= ntasks_) return;
    fn_(ctx_, task, ntasks_, slot);
  }
}

void ThreadPool::worker(int tid, uint64_t seen) {
  set_ftz_daz();
  for (;;) {
    uint64_t word;
    int spins = 0;
    while ((word = job_.load(std::memory_order_acquire)) == seen) {
      if (holds_.load(std::memory_order_relaxed) > 0 || ++spins < kSpinIterations) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lk(sleep_mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lk, [&] { return job_.load(std::memory_order_seq_cst) != seen; });
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      spins = 0;
    }
    seen = word;
    if (stop_.load(std::memory_order_acquire)) return;
    const int nt = static_cast<int>(word & 0xffff);
    if (tid >= nt) continue;  // not part of this job: read nothing else
    // Join the job unless it is already closed (the caller ran everything) or superseded.
    const uint64_t seq = (word >> 16) & 0xffffffffu;
    uint64_t s = state_.load(std::memory_order_acquire);
    bool joined = false;
    while ((s >> 32) == seq && !(s & kClosed)) {
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    claim_tasks(tid);
    state_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::run(int ntasks, int threads, Fn fn, void* ctx) {
  ntasks = std::max(ntasks, 1);
  const int nt = std::min(std::min(ntasks, std::max(threads, 1)), size_);
  std::unique_lock<std::mutex> lock(run_mutex_, std::defer_lock);
  if (nt == 1 || !lock.try_lock()) {
    for (int t = 0; t < ntasks; ++t) fn(ctx, t, ntasks, 0);
    return;
  }
  if (threads_.empty()) start_locked();
  fn_ = fn;
  ctx_ = ctx;
  ntasks_ = ntasks;
  next_task_.store(0, std::memory_order_relaxed);
  const uint64_t seq = (job_.load(std::memory_order_relaxed) >> 16) + 1;
  state_.store((seq & 0xffffffffu) << 32, std::memory_order_release);
  job_.store((seq << 16) | static_cast<uint64_t>(nt), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lk(sleep_mutex_); }
    wake_.notify_all();
  }
  claim_tasks(0);
  // Every task is claimed: close the job to late threads, then wait for the ones inside.
  state_.fetch_or(kClosed, std::memory_order_acq_rel);
  int spins = 0;
  while ((state_.load(std::memory_order_acquire) & kActiveMask) != 0) {
    if (++spins < kSpinIterations) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Process-wide instance. Heap-allocated and never destroyed by static destructors: if the
// process exits without running env cleanup hooks (process.exit), its threads just end
// with the process instead of being joined while a job might still be using them.

namespace {
std::mutex g_pool_mutex;
int g_refs = 0;
ThreadPool* g_pool = nullptr;
}  // namespace

void acquire_pool() {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  ++g_refs;
}

void release_pool() {
  ThreadPool* dead = nullptr;
  {
    std::lock_guard<std::mutex> lk(g_pool_mutex);
    if (g_refs > 0 && --g_refs == 0) {
      dead = g_pool;
      g_pool = nullptr;
    }
  }
  delete dead;  // joins its threads
}

ThreadPool& pool() {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (!g_pool) g_pool = new ThreadPool(config().threads);
  return *g_pool;
}

int pool_size() { return config().threads; }

}  // namespace dh::runtime
