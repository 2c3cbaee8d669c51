#include "binding/plan_wrap.h"

#include <cmath>
#include <tuple>
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

class EvaluateJob : public PlanJob {
 public:
  using PlanJob::PlanJob;
  plan::Arenas arenas;
  const float* x = nullptr;
  plan::Targets y;
  size_t rows = 0;
  float* out = nullptr;
  plan::EvalResult res;

 protected:
  void work() override { core_->plan->evaluate(arenas, x, y, rows, out, &core_->abort, &res); }
  Napi::Value result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", Napi::Number::New(env, res.loss));
    o.Set("correct", Napi::Number::New(env, static_cast<double>(res.correct)));
    return o;
  }
};

}  // namespace

Napi::Function PlanWrap::Define(Napi::Env env) {
  return DefineClass(env, "Plan",
                     {InstanceMethod("trainSteps", &PlanWrap::TrainSteps),
                      InstanceMethod("predict", &PlanWrap::Predict),
                      InstanceMethod("predictSync", &PlanWrap::PredictSync),
                      InstanceMethod("evaluate", &PlanWrap::Evaluate),
                      InstanceMethod("lossAndGrad", &PlanWrap::LossAndGrad),
                      InstanceMethod("hessianVector", &PlanWrap::HessianVector),
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
    auto check_len = [&](const View<float>& v, size_t want, const char* name, const std::string& what) {
      if (v.length != want)
        throw_range(env, std::string(name) + ": expected a Float32Array of " + len_text(want) + " values (" + what +
                             "), received " + describe(v.object));
    };
    check_len(params, pc, "Plan(params)", "the parameter count");
    check_len(grads, pc, "Plan(grads)", "the parameter count");
    check_len(state, slots * pc, "Plan(state)",
              slots == 0 ? std::string("no optimizer state")
                         : (slots == 1 ? "1 slot × parameter count" : len_text(slots) + " slots × parameter count"));

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
    loss_ = spec.loss.kind;
    batchnorm_ = plan::has_batchnorm(spec);
  });
}

void PlanWrap::check_usable(Napi::Env env, const char* method, bool allow_busy) const {
  if (disposed_) throw_coded(env, kErrDisposed, std::string("Plan.") + method + ": the plan has been disposed");
  if (busy_ && !allow_busy)
    throw_coded(env, kErrBusy,
                std::string("Plan.") + method + ": the plan is busy with a trainSteps, predict or evaluate job; wait for it");
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
    if (!plan::loss_takes_labels(loss_))
      throw_type(env, name + ": expected a Float32Array of " + len_text(rows * outputs_) + " target values (" +
                          len_text(rows) + " rows × " + len_text(outputs_) + " outputs; the " + plan::loss_name(loss_) +
                          " loss takes no class indices), received " + describe(v));
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
  } else if (plan::loss_takes_labels(loss_)) {
    throw_type(env, name + ": expected an Int32Array or a Float32Array, received " + describe(v));
  } else {
    throw_type(env, name + ": expected a Float32Array, received " + describe(v));
  }
  return t;
}

const float* PlanWrap::weights(const Napi::Value& v, size_t rows, const std::string& name, View<float>* view) const {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  Napi::Env env = v.Env();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(env, name + ": expected a Float32Array or null, received " + describe(v));
  *view = f32_array(v, name);
  if (view->length != rows)
    throw_range(env, name + ": expected a Float32Array of " + len_text(rows) + " weights (one per row of x), received " +
                         describe(v));
  for (size_t i = 0; i < rows; ++i) {
    const float w = view->data[i];
    if (!(w >= 0.0f) || !std::isfinite(w)) {
      const Napi::Value shown = Napi::Number::New(env, static_cast<double>(w));
      throw_range(env, name + ": expected finite weights >= 0, received " + describe(shown).substr(7) + " at index " +
                           len_text(i));
    }
  }
  return view->data;
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
    View<float> probs, wv;
    plan::Targets y = targets(info[1], rows, "trainSteps(y)", &labels, &probs);
    y.weights = weights(info[2], rows, "trainSteps(weights)", &wv);
    const View<int32_t> indices = i32_array(info[3], "trainSteps(indices)");
    check_indices(indices, rows, "trainSteps(indices)");
    const size_t batch = integer_arg(info[4], "trainSteps(batchSize)", 1, static_cast<double>(max_batch_));
    const View<float> lrs = f32_array(info[5], "trainSteps(lrs)");
    const size_t steps = (indices.length + batch - 1) / batch;
    if (lrs.length != steps)
      throw_range(env, "trainSteps(lrs): expected a Float32Array of " + len_text(steps) +
                           " learning rates (one per step: ceil(" + len_text(indices.length) + " / " +
                           len_text(batch) + ")), received " + describe(lrs.object));
    const size_t step_start = integer_arg(info[6], "trainSteps(stepStart)", 0, 9007199254740991.0);
    const View<float> loss_out = f32_array(info[7], "trainSteps(lossOut)");
    const View<int32_t> correct_out = i32_array(info[8], "trainSteps(correctOut)");
    if (loss_out.length < steps)
      throw_range(env, "trainSteps(lossOut): expected a Float32Array of at least " + len_text(steps) +
                           " values (one per step), received " + describe(loss_out.object));
    if (correct_out.length < steps)
      throw_range(env, "trainSteps(correctOut): expected an Int32Array of at least " + len_text(steps) +
                           " values (one per step), received " + describe(correct_out.object));
    if (batchnorm_ && steps > 0) {
      // Batch statistics need 2 rows: a batch of 1 would divide by n − 1 = 0 in the running variance.
      if (batch == 1)
        throw_range(env, "trainSteps(batchSize): expected at least 2 (the plan has batchNorm, whose batch statistics "
                         "need 2 rows per batch), received 1");
      if (indices.length % batch == 1)
        throw_range(env, "trainSteps(indices): expected a last batch of at least 2 rows (the plan has batchNorm, "
                         "whose batch statistics need 2 rows per batch), received " + len_text(indices.length) +
                             " indices in batches of " + len_text(batch) + " (a last batch of 1 row)");
    }
    if (step_start + steps > 9007199254740991.0)
      throw_range(env, "trainSteps(stepStart): expected stepStart + steps <= 2^53 - 1, received " +
                           len_text(step_start));

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
    if (y.weights) job->keep(wv.object);
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

Napi::Value PlanWrap::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.evaluate", [&]() -> Napi::Value {
    check_usable(env, "evaluate");
    const View<float> x = f32_array(info[0], "evaluate(x)");
    const size_t rows = rows_of(x, "evaluate(x)");
    View<int32_t> labels;
    View<float> probs, wv, out;
    plan::Targets y = targets(info[1], rows, "evaluate(y)", &labels, &probs);
    y.weights = weights(info[2], rows, "evaluate(weights)", &wv);
    const Napi::Value out_v = info[3];
    if (!out_v.IsNull() && !out_v.IsUndefined()) {
      if (!out_v.IsTypedArray() || out_v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw_type(env, "evaluate(out): expected a Float32Array or null, received " + describe(out_v));
      out = f32_array(out_v, "evaluate(out)");
      if (out.length != rows * outputs_)
        throw_range(env, "evaluate(out): expected a Float32Array of " + len_text(rows * outputs_) + " values (" +
                             len_text(rows) + " rows × " + len_text(outputs_) + " outputs), received " +
                             describe(out.object));
    }
    const plan::Arenas a = arenas(env, "evaluate");
    auto job = std::make_unique<EvaluateJob>(env, this, info.This().As<Napi::Object>(), core_, *addon_);
    job->arenas = a;
    job->x = x.data;
    job->y = y;
    job->rows = rows;
    job->out = out.data;
    job->keep(x.object);
    job->keep(info[1].As<Napi::Object>());
    if (y.weights) job->keep(wv.object);
    if (out.data) job->keep(out.object);
    Napi::Promise p = PlanJob::start(env, std::move(job), "downhill.evaluate");
    busy_ = true;
    return p;
  });
}

Napi::Value PlanWrap::LossAndGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.lossAndGrad", [&]() -> Napi::Value {
    check_usable(env, "lossAndGrad");
    const View<float> x = f32_array(info[0], "lossAndGrad(x)");
    const size_t rows = rows_of(x, "lossAndGrad(x)");
    View<int32_t> labels;
    View<float> probs, wv;
    plan::Targets y = targets(info[1], rows, "lossAndGrad(y)", &labels, &probs);
    const View<int32_t> indices = i32_array(info[2], "lossAndGrad(indices)");
    check_indices(indices, rows, "lossAndGrad(indices)");
    y.weights = weights(info[3], rows, "lossAndGrad(weights)", &wv);
    const bool training = info[4].IsUndefined() ? true : bool_arg(info[4], "lossAndGrad(training)");
    const size_t step =
        info[5].IsUndefined() ? 0 : integer_arg(info[5], "lossAndGrad(step)", 0, 9007199254740991.0);
    if (training && batchnorm_) {
      if (indices.length < 2)
        throw_range(env, "lossAndGrad(indices): expected at least 2 row indices in training mode (the plan has "
                         "batchNorm, whose batch statistics need 2 rows), received " + describe(indices.object));
      if (indices.length > max_batch_)
        throw_range(env, "lossAndGrad(indices): expected at most maxBatch = " + len_text(max_batch_) +
                             " row indices in training mode (the plan has batchNorm: one batch), received " +
                             describe(indices.object));
    }
    // K-FAC's factors: two arrays of Float32Arrays, one per dense layer (or both absent).
    const Napi::Value fa_v = info[6], fg_v = info[7];
    const bool with_factors = !(fa_v.IsUndefined() || fa_v.IsNull()) || !(fg_v.IsUndefined() || fg_v.IsNull());
    std::vector<float*> fa, fg;
    if (with_factors) {
      const plan::Spec& sp = core_->plan->spec();
      const size_t dense = core_->plan->dense_layers();
      for (auto [v, list, which] : {std::make_tuple(fa_v, &fa, "a"), std::make_tuple(fg_v, &fg, "g")}) {
        const std::string name = std::string("lossAndGrad(factors.") + which + ")";
        if (!v.IsArray() || v.As<Napi::Array>().Length() != dense)
          throw_type(env, name + ": expected an array of " + len_text(dense) + " Float32Arrays (one per dense layer), received " +
                              describe(v));
        const Napi::Array arr = v.As<Napi::Array>();
        size_t di = 0;
        for (const plan::Layer& l : sp.layers) {
          if (l.kind != plan::LayerKind::kDense) continue;
          const size_t d = which[0] == 'a' ? l.inputs + (l.use_bias ? 1 : 0) : l.units;
          const std::string item = std::string("lossAndGrad(factors.") + which + "[" + len_text(di) + "])";
          const View<float> m = f32_array(arr.Get(static_cast<uint32_t>(di)), item);
          if (m.length != d * d)
            throw_range(env, item + ": expected a Float32Array of " + len_text(d) + "·" + len_text(d) + " = " +
                                 len_text(d * d) + " values, received " + describe(m.object));
          list->push_back(m.data);
          ++di;
        }
      }
    }
    const plan::Arenas a = arenas(env, "lossAndGrad");
    plan::Factors factors;
    factors.a = fa.data();
    factors.g = fg.data();
    const double loss = core_->plan->loss_and_grad(a, x.data, y, indices.data, indices.length, training,
                                                   static_cast<uint64_t>(step), with_factors ? &factors : nullptr);
    return Napi::Number::New(env, loss);
  });
}

Napi::Value PlanWrap::HessianVector(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Plan.hessianVector", [&]() -> Napi::Value {
    check_usable(env, "hessianVector");
    const View<float> x = f32_array(info[0], "hessianVector(x)");
    const size_t rows = rows_of(x, "hessianVector(x)");
    View<int32_t> labels;
    View<float> probs, wv;
    plan::Targets y = targets(info[1], rows, "hessianVector(y)", &labels, &probs);
    const View<int32_t> indices = i32_array(info[2], "hessianVector(indices)");
    check_indices(indices, rows, "hessianVector(indices)");
    const View<float> v = f32_array(info[3], "hessianVector(v)");
    const View<float> out = f32_array(info[4], "hessianVector(out)");
    for (const auto& [view, name] : {std::make_pair(&v, "hessianVector(v)"), std::make_pair(&out, "hessianVector(out)")})
      if (view->length != params_len_)
        throw_range(env, std::string(name) + ": expected a Float32Array of " + len_text(params_len_) +
                             " values (the parameter count), received " + describe(view->object));
    if (params_len_ > 0 && v.data < out.data + params_len_ && out.data < v.data + params_len_)
      throw_range(env, "hessianVector(out): expected a Float32Array that does not overlap v, received one that does");
    y.weights = weights(info[5], rows, "hessianVector(weights)", &wv);
    const bool training = info[6].IsUndefined() ? true : bool_arg(info[6], "hessianVector(training)");
    const size_t step =
        info[7].IsUndefined() ? 0 : integer_arg(info[7], "hessianVector(step)", 0, 9007199254740991.0);
    if (training && batchnorm_) {
      if (indices.length < 2)
        throw_range(env, "hessianVector(indices): expected at least 2 row indices in training mode (the plan has "
                         "batchNorm, whose batch statistics need 2 rows), received " + describe(indices.object));
      if (indices.length > max_batch_)
        throw_range(env, "hessianVector(indices): expected at most maxBatch = " + len_text(max_batch_) +
                             " row indices in training mode (the plan has batchNorm: one batch), received " +
                             describe(indices.object));
    }
    const plan::Arenas a = arenas(env, "hessianVector");
    core_->plan->prepare_r();
    core_->plan->hessian_vector(a, x.data, y, indices.data, indices.length, training, static_cast<uint64_t>(step),
                                v.data, out.data);
    return env.Undefined();
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
