// Shared state between a Plan wrapper and its background jobs, the per-env registry that
// lets env teardown (process exit, worker_thread termination) stop running jobs and wait
// for them before the JS memory they write goes away, and the per-env job threads the jobs
// run on. Pure C++ (no N-API): native/tests/ runs it under ThreadSanitizer.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "plan/plan.h"

namespace dh::binding {

struct PlanCore {
  std::unique_ptr<plan::Plan> plan;
  std::atomic<bool> cancel{false};  // user cancel(): trainSteps stops at the next batch
  std::atomic<bool> abort{false};   // env teardown: every job stops at the next batch/chunk
};

class JobRegistry {
 public:
  // JS thread, when a job is queued.
  void queued(PlanCore* core) {
    std::lock_guard<std::mutex> lk(mu_);
    jobs_.push_back(core);
    if (shutdown_) core->abort.store(true), core->cancel.store(true);
  }
  // Job thread, first thing in a job. False: the env is going away, do nothing.
  bool begin() {
    std::lock_guard<std::mutex> lk(mu_);
    if (shutdown_) return false;
    ++running_;
    return true;
  }
  // Job thread, once the job has stopped touching JS memory (ran: what begin() returned).
  void end(PlanCore* core, bool ran) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = std::find(jobs_.begin(), jobs_.end(), core);
    if (it != jobs_.end()) jobs_.erase(it);
    if (ran && --running_ == 0) cv_.notify_all();
  }
  // Env cleanup hook: stop everything queued or running and wait for the running ones.
  void shutdown() {
    std::unique_lock<std::mutex> lk(mu_);
    shutdown_ = true;
    for (PlanCore* c : jobs_) c->abort.store(true), c->cancel.store(true);
    cv_.wait(lk, [this] { return running_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  bool shutdown_ = false;
  std::vector<PlanCore*> jobs_;  // queued or running (cores kept alive by their jobs)
};

// The env's job threads, where trainSteps and predict run: not libuv's thread pool (4
// threads shared with fs, dns, crypto and zlib, which a few long jobs would starve). A job
// goes to an idle thread, or to a new one when every thread is busy, so concurrent jobs
// (one per Plan at most) never queue behind each other here; the compute pool below
// arbitrates the cores. Idle threads sleep on a condition variable and stay for the env's
// lifetime (there are at most as many as the env's peak of concurrent jobs). stop(), from
// the env cleanup hook, runs what is queued and joins every thread: no thread may still be
// running addon code once a worker's env is gone, since Node unloads the addon with it.
class JobThreads {
 public:
  struct Task {
    virtual ~Task() = default;
    // On a job thread; must not throw. The task may be deleted by the time run() returns.
    virtual void run() = 0;
  };

  JobThreads() = default;
  JobThreads(const JobThreads&) = delete;
  JobThreads& operator=(const JobThreads&) = delete;
  ~JobThreads() { stop(); }

  // Any thread (the JS thread in the addon). Throws std::system_error when no thread can be
  // started and std::logic_error after stop(); the task is not queued then.
  void post(Task* task) {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopped_) throw std::logic_error("the job threads are stopped (environment teardown)");
    queue_.push_back(task);
    if (static_cast<size_t>(idle_) >= queue_.size()) {
      cv_.notify_one();
      return;
    }
    try {
      threads_.emplace_back([this] { loop(); });
    } catch (...) {
      queue_.pop_back();
      throw;
    }
  }

  // Runs the tasks still queued, then joins the threads. Idempotent.
  void stop() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopped_ = true;
      threads.swap(threads_);
    }
    cv_.notify_all();
    for (std::thread& t : threads) t.join();
  }

  int threads() {
    std::lock_guard<std::mutex> lk(mu_);
    return static_cast<int>(threads_.size());
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      if (!queue_.empty()) {
        Task* task = queue_.front();
        queue_.pop_front();
        lk.unlock();
        task->run();
        lk.lock();
        continue;
      }
      if (stopped_) return;
      ++idle_;
      cv_.wait(lk);
      --idle_;
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task*> queue_;
  std::vector<std::thread> threads_;
  int idle_ = 0;  // threads waiting on cv_
  bool stopped_ = false;
};

}  // namespace dh::binding
