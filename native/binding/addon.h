// The addon instance: one per Node environment (main thread, each worker_thread), holding
// the Plan constructor, the job registry, the job threads and the pool reference of that env.
#pragma once

#include <napi.h>

#include <memory>

#include "binding/jobs.h"
#include "kernels/gemm.h"
#include "kernels/table.h"
#include "runtime/memory.h"

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
  // vector_ops.cc: the second-order methods' VectorOps (lib/engine/engine.ts), synchronous.
  Napi::Value VectorDot(const Napi::CallbackInfo& info);
  Napi::Value VectorAxpy(const Napi::CallbackInfo& info);
  Napi::Value VectorScale(const Napi::CallbackInfo& info);
  Napi::Value VectorAddScaled(const Napi::CallbackInfo& info);
  Napi::Value VectorMaxAbs(const Napi::CallbackInfo& info);
  Napi::Value VectorSumAbs(const Napi::CallbackInfo& info);
  Napi::Value VectorCopy(const Napi::CallbackInfo& info);
  Napi::Value Matmul(const Napi::CallbackInfo& info);
  Napi::Value SpdInverse(const Napi::CallbackInfo& info);

  const kernels::KernelTable* table_ = nullptr;
  std::shared_ptr<JobRegistry> jobs_;
  std::shared_ptr<JobThreads> threads_;  // where this env's trainSteps/predict jobs run
  // GEMM scratch grown on demand for the largest m and n seen (used on the JS thread only).
  struct HookWorkspace {
    kernels::GemmWorkspace ws;
    size_t m = 0, n = 0;
  };
  HookWorkspace hook_ws_[kernels::kIsaCount];  // gemm() test hook, per ISA
  HookWorkspace matmul_ws_;                    // matmul(), the dispatched ISA
  // spdInverse()'s U and W (kernels::spd_scratch_doubles), grown on demand and kept: K-FAC
  // inverts the same factor sizes every few steps, and fresh pages cost more than the work.
  runtime::AlignedArray<double> spd_scratch_;
};

}  // namespace dh::binding
