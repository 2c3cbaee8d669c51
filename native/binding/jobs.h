// Shared state between a Plan wrapper and its background jobs, and the per-env registry
// that lets env teardown (process exit, worker_thread termination) stop running jobs and
// wait for them before the JS memory they write goes away.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
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
  // Worker thread, first thing in Execute. False: the env is going away, do nothing.
  bool begin() {
    std::lock_guard<std::mutex> lk(mu_);
    if (shutdown_) return false;
    ++running_;
    return true;
  }
  // Worker thread, last thing in Execute (ran: whether begin() returned true).
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

}  // namespace dh::binding
