// The addon instance: one per Node environment (main thread, each worker_thread), holding
// the Plan constructor, the job registry, the job threads and the pool reference of that env.
#pragma once

#include <napi.h>

#include <memory>

#include "binding/jobs.h"
#include "kernels/gemm.h"
#include "kernels/table.h"

namespace dh::binding {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

  const kernels::KernelTable& table() const { return *table_; }
  const std::shared_ptr<JobRegistry>& jobs() const { return jobs_; }
  const std::shared_ptr<JobThreads>& threads() const { return threads_; }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Gemm(const Napi::CallbackInfo& info);
  Napi::Value OptimizerStep(const Napi::CallbackInfo& info);  // optimizer_hook.cc

  const kernels::KernelTable* table_ = nullptr;
  std::shared_ptr<JobRegistry> jobs_;
  std::shared_ptr<JobThreads> threads_;  // where this env's trainSteps/predict jobs run
  // gemm() test hook scratch per ISA, grown on demand (the hook runs on the JS thread only).
  struct HookWorkspace {
    kernels::GemmWorkspace ws;
    size_t m = 0, n = 0;
  };
  HookWorkspace hook_ws_[kernels::kIsaCount];
};

}  // namespace dh::binding
