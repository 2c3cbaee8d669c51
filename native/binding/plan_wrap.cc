#include "binding/plan_wrap.h"

#include <cmath>
#include <vector>

#include "binding/addon.h"
#include "binding/errors.h"
#include "runtime/thread_pool.h"

namespace dh::binding {
namespace {

std::string len_text(size_t n) { return std::to_string(n); }

// Base of the async jobs: keeps the Plan object, its core and every typed array of the call
// alive until the promise settles; runs the work between registry begin/end so env
// teardown can stop and wait for it.
class PlanJob : public Napi::AsyncWorker {
 public:
  PlanJob(Napi::Env env, const char* name, PlanWrap* wrap, const Napi::Object& self, std::shared_ptr<PlanCore> core,
          std::shared_ptr<JobRegistry> jobs)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        wrap_(wrap),
        self_(Napi::Persistent(self)),
        core_(std::move(core)),
        jobs_(std::move(jobs)) {}

  void keep(const Napi::Object& o) { refs_.push_back(Napi::Persistent(o)); }
  Napi::Promise promise() const { return deferred_.Promise(); }
  void start() {
    jobs_->queued(core_.get());
    Queue();
  }

 protected:
  virtual void work() = 0;
  virtual Napi::Value result(Napi::Env env) = 0;

  void Execute() override {
    const bool ran = jobs_->begin();
    if (ran) {
      try {
        work();
      } catch (const std::exception& e) {
        error_ = std::string("downhill: internal error: ") + e.what();
      }
    }
    jobs_->end(core_.get(), ran);
  }

  // Replaces node-addon-api's completion: during env teardown (worker terminate, process exit)
  // N-API calls fail, and node-addon-api turns that failure into a C++ exception thrown
  // through libuv's C callback, which aborts the process. Here the promise is settled only
  // while JS can still run, and no exception leaves this function.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status != napi_cancelled) {
      try {
        Napi::HandleScope scope(env);
        wrap_->set_idle();
        if (error_.empty()) {
          deferred_.Resolve(result(env));
        } else {
          deferred_.Reject(Napi::Error::New(env, error_).Value());
        }
      } catch (...) {
        // The environment is going away: nobody is left to observe the promise.
      }
    }
    Destroy();
  }

  std::string error_;
  Napi::Promise::Deferred deferred_;
  PlanWrap* wrap_;
  Napi::ObjectReference self_;
  std::shared_ptr<PlanCore> core_;
  std::shared_ptr<JobRegistry> jobs_;
  std::vector<Napi::ObjectReference> refs_;
};

class TrainJob : public PlanJob {
 public:
  using PlanJob::PlanJob;
  plan::Arenas arenas;
  plan::TrainRequest req;
  size_t done = 0;

 protected:
  void work() override {
    // Env teardown sets cancel as well as abort.
    done = core_->plan->train_steps(arenas, req, core_->cancel);
  }
  Napi::Value result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(done)); }
};

class PredictJob : public PlanJob {
 public:
  using PlanJob::PlanJob;
  plan::Arenas arenas;
  const float* x = nullptr;
  size_t rows = 0;
  float* out = nullptr;

 protected:
  void work() override { core_->plan->predict(arenas, x, rows, out, &core_->abort); }
  Napi::Value result(Napi::Env env) override { return env.Undefined(); }
};

}  // namespace

Napi::Function PlanWrap::Define(Napi::Env env) {
  return DefineClass(env, "Plan",
                     {InstanceMethod("trainSteps", &PlanWrap::TrainSteps),
                      InstanceMethod("predict", &PlanWrap::Predict),
                      InstanceMethod("predictSync", &PlanWrap::PredictSync),
                      InstanceMethod("lossAndGrad", &PlanWrap::LossAndGrad),
                      InstanceMethod("cancel", &PlanWrap::Cancel),
                      InstanceMethod("dispose", &PlanWrap::Dispose)});
}

PlanWrap::PlanWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PlanWrap>(info) {
  Napi::Env env = info.Env();
  guarded(env, "Plan", [&] {
    addon_ = env.GetInstanceData<Addon>();
    const int threads = runtime::pool_size();
    const plan::Spec spec = decode_spec(info[0], threads);
    const size_t pc = plan::param_count(spec);
    const size_t slots = plan::state_slots(spec.optimizer);
    const View<float> params = f32_array(info[1], "Plan(params)");
    const View<float> grads = f32_array(info[2], "Plan(grads)");
    const View<float> state = f32_array(info[3], "Plan(state)");
    auto check_len = [&](const View<float>& v, size_t want, const char* name, const char* what) {
      if (v.length != want)
        throw_range(env, std::string(name) + ": expected a Float32Array of " + len_text(want) + " values (" + what +
                             "), received " + describe(v.object));
    };
    check_len(params, pc, "Plan(params)", "the parameter count");
    check_len(grads, pc, "Plan(grads)", "the parameter count");
    check_len(state, slots * pc, "Plan(state)",
              slots == 0 ? "no optimizer state" : (slots == 1 ? "1 slot × parameter count" : "2 slots × parameter count"));

    auto core = std::make_shared<PlanCore>();
    core->plan = std::make_unique<plan::Plan>(spec, addon_->table(), threads);
    core_ = std::move(core);
    params_ref_ = Napi::Persistent(params.object);
    grads_ref_ = Napi::Persistent(grads.object);
    state_ref_ = Napi::Persistent(state.object);
    arenas_.params = params.data;
    arenas_.grads = grads.data;
    arenas_.state = state.data;
    params_len_ = pc;
    state_len_ = slots * pc;
    input_size_ = spec.input_size;
    outputs_ = plan::output_size(spec);
    max_batch_ = spec.max_batch;
  });
}

void PlanWrap::check_usable(Napi::Env env, const char* method, bool allow_busy) const {
  if (disposed_) throw_coded(env, kErrDisposed, std::string("Plan.") + method + ": the plan has been disposed");
  if (busy_ && !allow_busy)
    throw_coded(env, kErrBusy,
                std::string("Plan.") + method + ": the plan is busy with a trainSteps or predict job; wait for it");
}

plan::Arenas PlanWrap::arenas(Napi::Env env, const char* method) const {
  auto same = [&](const Napi::ObjectReference& ref, float* data, size_t len, const char* name) {
    const std::string label = std::string("Plan.") + method + ": the " + name + " arena";
    const View<float> v = f32_array(ref.Value(), label);
    if (v.length != len || v.data != data)
      throw_range(env, label + " changed since the plan was created (expected a Float32Array(" + len_text(len) +
                           ") over the same memory, received " + describe(v.object) + ")");
  };
  same(params_ref_, arenas_.params, params_len_, "params");
  same(grads_ref_, arenas_.grads, params_len_, "grads");
  same(state_ref_, arenas_.state, state_len_, "state");
  return arenas_;
}

size_t PlanWrap::rows_of(const View<float>& x, const std::string& name) const {
  if (x.length % input_size_ != 0)
    throw_range(x.object.Env(), name + ": expected a Float32Array whose length is a multiple of inputSize " +
                                    len_text(input_size_) + ", received " + describe(x.object));
  return x.length / input_size_;
}

plan::Targets PlanWrap::targets(const Napi::Value& v, size_t rows, const std::string& name, View<int32_t>* labels,
                                View<float>* probs) const {
  Napi::Env env = v.Env();
  plan::Targets t;
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    *labels = i32_array(v, name);
    if (labels->length != rows)
      throw_range(env, name + ": expected an Int32Array of " + len_text(rows) + " class indices (one per row of x), " +
                           "received " + describe(v));
    for (size_t i = 0; i < rows; ++i) {
      const int32_t c = labels->data[i];
      if (c < 0 || static_cast<size_t>(c) >= outputs_)
        throw_range(env, name + ": expected class indices in [0, " + len_text(outputs_) + "), received " +
                             std::to_string(c) + " at index " + len_text(i));
    }
    t.labels = labels->data;
  } else if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    *probs = f32_array(v, name);
    if (probs->length != rows * outputs_)
      throw_range(env, name + ": expected a Float32Array of " + len_text(rows * outputs_) + " values (" +
                           len_text(rows) + " rows × " + len_text(outputs_) + " outputs), received " + describe(v));
    t.probs = probs->data;
  } else {
    throw_type(env, name + ": expected an Int32Array or a Float32Array, received " + describe(v));
  }
  return t;
}

void PlanWrap::check_indices(const View<int32_t>& idx, size_t rows, const std::string& name) const {
  for (size_t i = 0; i < idx.length; ++i) {
    const int32_t r = idx.data[i];
    if (r < 0 || static_cast<size_t>(r) >= rows)
      throw_range(idx.object.Env(), name + ": expected row indices in [0, " + len_text(rows) + "), received " +
                                        std::to_string(r) + " at index " + len_text(i));
  }
}

Napi::Value PlanWrap::TrainSteps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.trainSteps", [&]() -> Napi::Value {
    check_usable(env, "trainSteps");
    const View<float> x = f32_array(info[0], "trainSteps(x)");
    const size_t rows = rows_of(x, "trainSteps(x)");
    View<int32_t> labels;
    View<float> probs;
    const plan::Targets y = targets(info[1], rows, "trainSteps(y)", &labels, &probs);
    const View<int32_t> indices = i32_array(info[2], "trainSteps(indices)");
    check_indices(indices, rows, "trainSteps(indices)");
    const size_t batch = integer_arg(info[3], "trainSteps(batchSize)", 1, static_cast<double>(max_batch_));
    const View<float> lrs = f32_array(info[4], "trainSteps(lrs)");
    const size_t steps = (indices.length + batch - 1) / batch;
    if (lrs.length != steps)
      throw_range(env, "trainSteps(lrs): expected a Float32Array of " + len_text(steps) +
                           " learning rates (one per step: ceil(" + len_text(indices.length) + " / " +
                           len_text(batch) + ")), received " + describe(lrs.object));
    const size_t step_start = integer_arg(info[5], "trainSteps(stepStart)", 0, 9007199254740991.0);
    const View<float> loss_out = f32_array(info[6], "trainSteps(lossOut)");
    const View<int32_t> correct_out = i32_array(info[7], "trainSteps(correctOut)");
    if (loss_out.length < steps)
      throw_range(env, "trainSteps(lossOut): expected a Float32Array of at least " + len_text(steps) +
                           " values (one per step), received " + describe(loss_out.object));
    if (correct_out.length < steps)
      throw_range(env, "trainSteps(correctOut): expected an Int32Array of at least " + len_text(steps) +
                           " values (one per step), received " + describe(correct_out.object));

    const plan::Arenas a = arenas(env, "trainSteps");
    auto* job = new TrainJob(env, "downhill.trainSteps", this, info.This().As<Napi::Object>(), core_,
                             addon_->jobs());
    job->arenas = a;
    job->req.x = x.data;
    job->req.y = y;
    job->req.indices = indices.data;
    job->req.count = indices.length;
    job->req.batch = batch;
    job->req.lrs = lrs.data;
    job->req.steps = steps;
    job->req.step_start = static_cast<double>(step_start);
    job->req.loss_out = loss_out.data;
    job->req.correct_out = correct_out.data;
    for (const Napi::Object& o : {x.object, info[1].As<Napi::Object>(), indices.object, lrs.object,
                                  loss_out.object, correct_out.object})
      job->keep(o);
    core_->cancel.store(false);
    busy_ = true;
    Napi::Promise p = job->promise();
    job->start();
    return p;
  });
}

Napi::Value PlanWrap::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.predict", [&]() -> Napi::Value {
    check_usable(env, "predict");
    const View<float> x = f32_array(info[0], "predict(x)");
    const size_t rows = rows_of(x, "predict(x)");
    const View<float> out = f32_array(info[1], "predict(out)");
    if (out.length != rows * outputs_)
      throw_range(env, "predict(out): expected a Float32Array of " + len_text(rows * outputs_) + " values (" +
                           len_text(rows) + " rows × " + len_text(outputs_) + " outputs), received " +
                           describe(out.object));
    const plan::Arenas a = arenas(env, "predict");
    auto* job = new PredictJob(env, "downhill.predict", this, info.This().As<Napi::Object>(), core_, addon_->jobs());
    job->arenas = a;
    job->x = x.data;
    job->rows = rows;
    job->out = out.data;
    job->keep(x.object);
    job->keep(out.object);
    busy_ = true;
    Napi::Promise p = job->promise();
    job->start();
    return p;
  });
}

Napi::Value PlanWrap::PredictSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.predictSync", [&]() -> Napi::Value {
    check_usable(env, "predictSync");
    const View<float> x = f32_array(info[0], "predictSync(x)");
    const size_t rows = rows_of(x, "predictSync(x)");
    const View<float> out = f32_array(info[1], "predictSync(out)");
    if (out.length != rows * outputs_)
      throw_range(env, "predictSync(out): expected a Float32Array of " + len_text(rows * outputs_) + " values (" +
                           len_text(rows) + " rows × " + len_text(outputs_) + " outputs), received " +
                           describe(out.object));
    const plan::Arenas a = arenas(env, "predictSync");
    core_->plan->predict(a, x.data, rows, out.data, nullptr);
    return env.Undefined();
  });
}

Napi::Value PlanWrap::LossAndGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.lossAndGrad", [&]() -> Napi::Value {
    check_usable(env, "lossAndGrad");
    const View<float> x = f32_array(info[0], "lossAndGrad(x)");
    const size_t rows = rows_of(x, "lossAndGrad(x)");
    View<int32_t> labels;
    View<float> probs;
    const plan::Targets y = targets(info[1], rows, "lossAndGrad(y)", &labels, &probs);
    const View<int32_t> indices = i32_array(info[2], "lossAndGrad(indices)");
    if (indices.length == 0)
      throw_range(env, "lossAndGrad(indices): expected at least one row index, received Int32Array(0)");
    check_indices(indices, rows, "lossAndGrad(indices)");
    const plan::Arenas a = arenas(env, "lossAndGrad");
    const double loss = core_->plan->loss_and_grad(a, x.data, y, indices.data, indices.length);
    return Napi::Number::New(env, loss);
  });
}

Napi::Value PlanWrap::Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.cancel", [&]() -> Napi::Value {
    check_usable(env, "cancel", /*allow_busy=*/true);
    core_->cancel.store(true);
    return env.Undefined();
  });
}

Napi::Value PlanWrap::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.dispose", [&]() -> Napi::Value {
    check_usable(env, "dispose");
    disposed_ = true;
    core_.reset();
    params_ref_.Reset();
    grads_ref_.Reset();
    state_ref_.Reset();
    arenas_ = plan::Arenas();
    return env.Undefined();
  });
}

}  // namespace dh::binding
