#include "binding/plan_wrap.h"

#include <cmath>
#include <vector>

#include "binding/addon.h"
#include "binding/errors.h"
#include "runtime/thread_pool.h"

namespace dh::binding {
namespace {

std::string len_text(size_t n) { return std::to_string(n); }

// Base of the background jobs (trainSteps, predict).
//
// Lifetime. Created on the JS thread with its promise, references that keep the Plan object
// and every typed array of the call alive, and a thread-safe function (TSFN) of its own,
// which also keeps the event loop alive while the job runs. run() executes on one of the
// env's job threads (JobThreads, not libuv's pool) between registry begin/end, so env
// teardown can stop it and wait for it; then it queues its completion through the TSFN and
// releases it. call_js (JS thread) settles the promise. The TSFN's finalizer (JS thread,
// exactly once: after the release, or at env teardown) deletes the job and with it the
// references, so they are only ever touched on the JS thread.
//
// Teardown (worker terminate, process exit in a worker): N-API calls fail there, and
// node-addon-api turns a failure into a C++ exception, which must never escape through
// Node's C callbacks (that aborts the process). So call_js and the finalizer catch
// everything; call_js does nothing with env == nullptr (teardown drains the TSFN queue
// that way, after the finalizer has deleted the job); a napi_closing TSFN drops the
// completion (nobody is left to observe the promise) and the finalizer still deletes the
// job. The env cleanup hook joins the job threads before the TSFNs are finalized (Node
// runs every cleanup hook, then closes the TSFNs' handles), so no job thread touches a TSFN
// after its finalizer ran.
class PlanJob : public JobThreads::Task {
 public:
  PlanJob(Napi::Env env, PlanWrap* wrap, const Napi::Object& self, std::shared_ptr<PlanCore> core, const Addon& addon)
      : core_(std::move(core)),
        deferred_(Napi::Promise::Deferred::New(env)),
        wrap_(wrap),
        self_(Napi::Persistent(self)),
        jobs_(addon.jobs()),
        threads_(addon.threads()) {}

  void keep(const Napi::Object& o) { refs_.push_back(Napi::Persistent(o)); }

  // JS thread: hands the job to a job thread and returns its promise. Throws (and the job
  // is freed) when that is impossible.
  static Napi::Promise start(Napi::Env env, std::unique_ptr<PlanJob> job, const char* name) {
    napi_threadsafe_function tsfn = nullptr;
    const napi_status status =
        napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, name), 0, 1, job.get(),
                                        &PlanJob::finalize, nullptr, &PlanJob::call_js, &tsfn);
    NAPI_THROW_IF_FAILED(env, status, Napi::Promise());
    // From here the TSFN's finalizer owns the job.
    PlanJob* j = job.release();
    j->tsfn_ = tsfn;
    Napi::Promise promise = j->deferred_.Promise();
    j->jobs_->queued(j->core_.get());
    try {
      j->threads_->post(j);
    } catch (...) {
      j->jobs_->end(j->core_.get(), false);
      napi_release_threadsafe_function(tsfn, napi_tsfn_abort);  // the finalizer frees the job
      throw;
    }
    return promise;
  }

  // Job thread.
  void run() override {
    const bool ran = jobs_->begin();
    if (ran) {
      try {
        work();
      } catch (const std::exception& e) {
        error_ = std::string("downhill: internal error: ") + e.what();
      } catch (...) {
        error_ = "downhill: internal error";
      }
    }
    jobs_->end(core_.get(), ran);
    // After the release the JS thread may delete this job at any time: nothing below
    // touches it. napi_closing means the env is being torn down: the completion is dropped.
    const napi_threadsafe_function tsfn = tsfn_;
    napi_call_threadsafe_function(tsfn, this, napi_tsfn_nonblocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  }

 protected:
  virtual void work() = 0;
  virtual Napi::Value result(Napi::Env env) = 0;

  std::string error_;
  std::shared_ptr<PlanCore> core_;

 private:
  // JS thread (env == nullptr: the TSFN is being finalized at teardown; data may be gone).
  static void call_js(napi_env env, napi_value, void*, void* data) noexcept {
    if (env == nullptr || data == nullptr) return;
    auto* job = static_cast<PlanJob*>(data);
    try {
      Napi::Env e(env);
      Napi::HandleScope scope(e);
      job->wrap_->set_idle();
      if (job->error_.empty()) {
        job->deferred_.Resolve(job->result(e));
      } else {
        job->deferred_.Reject(Napi::Error::New(e, job->error_).Value());
      }
    } catch (...) {
      // The environment is going away: nobody is left to observe the promise.
    }
  }

  // JS thread, once per job.
  static void finalize(napi_env, void* data, void*) noexcept {
    try {
      delete static_cast<PlanJob*>(data);
    } catch (...) {
    }
  }

  Napi::Promise::Deferred deferred_;
  PlanWrap* wrap_;
  Napi::ObjectReference self_;
  std::shared_ptr<JobRegistry> jobs_;
  std::shared_ptr<JobThreads> threads_;
  std::vector<Napi::ObjectReference> refs_;
  napi_threadsafe_function tsfn_ = nullptr;
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
    auto job = std::make_unique<TrainJob>(env, this, info.This().As<Napi::Object>(), core_, *addon_);
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
    Napi::Promise p = PlanJob::start(env, std::move(job), "downhill.trainSteps");
    busy_ = true;
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
    auto job = std::make_unique<PredictJob>(env, this, info.This().As<Napi::Object>(), core_, *addon_);
    job->arenas = a;
    job->x = x.data;
    job->rows = rows;
    job->out = out.data;
    job->keep(x.object);
    job->keep(out.object);
    Napi::Promise p = PlanJob::start(env, std::move(job), "downhill.predict");
    busy_ = true;
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
