// JS class Plan (lib/engine/binding.ts RawPlan): constructor(spec, params, grads, state),
// trainSteps / predict / evaluate (async, Promise), predictSync / lossAndGrad / hessianVector
// (sync), cancel, dispose.
#pragma once

#include <napi.h>

#include <memory>

#include "binding/decode.h"
#include "binding/jobs.h"

namespace dh::binding {

class Addon;

class PlanWrap : public Napi::ObjectWrap<PlanWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PlanWrap(const Napi::CallbackInfo& info);

  void set_idle() { busy_ = false; }

 private:
  Napi::Value TrainSteps(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value PredictSync(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value LossAndGrad(const Napi::CallbackInfo& info);
  Napi::Value HessianVector(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  void check_usable(Napi::Env env, const char* method, bool allow_busy = false) const;
  // Re-reads the arena typed arrays: still the same live memory as at construction.
  plan::Arenas arenas(Napi::Env env, const char* method) const;
  // Decodes x (Float32Array of n·inputSize) and returns n.
  size_t rows_of(const View<float>& x, const std::string& name) const;
  plan::Targets targets(const Napi::Value& v, size_t rows, const std::string& name, View<int32_t>* labels,
                        View<float>* probs) const;
  // null/undefined: no weights; else a Float32Array of `rows` finite values >= 0.
  const float* weights(const Napi::Value& v, size_t rows, const std::string& name, View<float>* view) const;
  void check_indices(const View<int32_t>& idx, size_t rows, const std::string& name) const;

  Addon* addon_ = nullptr;
  std::shared_ptr<PlanCore> core_;
  Napi::ObjectReference params_ref_, grads_ref_, state_ref_;
  plan::Arenas arenas_;
  size_t params_len_ = 0, state_len_ = 0;
  size_t input_size_ = 0, outputs_ = 0, max_batch_ = 0;
  plan::LossKind loss_ = plan::LossKind::kCategoricalCrossentropy;
  bool batchnorm_ = false;
  bool busy_ = false;
  bool disposed_ = false;
};

}  // namespace dh::binding
