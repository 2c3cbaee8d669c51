// Addon entry: context-aware (one Addon instance per env), exports exactly RawAddon of
// lib/engine/binding.ts: version, info(), Plan, gemm(), optimizerStep(), and the vector
// operations (vectorDot, ..., matmul, spdInverse: binding/vector_ops.cc).
#include "binding/addon.h"

#include <algorithm>
#include <string>

#include "binding/decode.h"
#include "binding/errors.h"
#include "binding/plan_wrap.h"
#include "kernels/gemm.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

#ifndef DH_VERSION
#define DH_VERSION "0.1.0"
#endif

namespace dh::binding {

Addon::Addon(Napi::Env env, Napi::Object exports) {
  const runtime::Dispatch& d = runtime::dispatch();
  if (!d.ok) throw_coded(env, kErrIsa, "downhill: " + d.error);
  table_ = d.table;
  jobs_ = std::make_shared<JobRegistry>();
  threads_ = std::make_shared<JobThreads>();
  runtime::acquire_pool();
  // Env teardown (worker termination, exit of a worker's or an embedder's env): stop this
  // env's jobs, wait for the running ones, join the job threads (before Node finalizes the
  // jobs' thread-safe functions), then drop our pool reference (the last env joins the pool
  // threads). Nothing here may throw.
  std::shared_ptr<JobRegistry> jobs = jobs_;
  std::shared_ptr<JobThreads> threads = threads_;
  env.AddCleanupHook([jobs, threads]() {
    jobs->shutdown();
    threads->stop();
    runtime::release_pool();
  });
  DefineAddon(exports, {
                           InstanceValue("version", Napi::String::New(env, DH_VERSION), napi_enumerable),
                           InstanceMethod("info", &Addon::Info, napi_enumerable),
                           InstanceMethod("gemm", &Addon::Gemm, napi_enumerable),
                           InstanceMethod("optimizerStep", &Addon::OptimizerStep, napi_enumerable),
                           InstanceMethod("vectorDot", &Addon::VectorDot, napi_enumerable),
                           InstanceMethod("vectorAxpy", &Addon::VectorAxpy, napi_enumerable),
                           InstanceMethod("vectorScale", &Addon::VectorScale, napi_enumerable),
                           InstanceMethod("vectorAddScaled", &Addon::VectorAddScaled, napi_enumerable),
                           InstanceMethod("vectorMaxAbs", &Addon::VectorMaxAbs, napi_enumerable),
                           InstanceMethod("vectorSumAbs", &Addon::VectorSumAbs, napi_enumerable),
                           InstanceMethod("vectorCopy", &Addon::VectorCopy, napi_enumerable),
                           InstanceMethod("matmul", &Addon::Matmul, napi_enumerable),
                           InstanceMethod("spdInverse", &Addon::SpdInverse, napi_enumerable),
                           InstanceValue("Plan", PlanWrap::Define(env), napi_enumerable),
                       });
}

Napi::Value Addon::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "info", [&]() -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", runtime::isa_name(table_->isa));
    const std::vector<runtime::Isa> avail = runtime::available_isas();
    Napi::Array arr = Napi::Array::New(env, avail.size());
    for (size_t i = 0; i < avail.size(); ++i) arr.Set(static_cast<uint32_t>(i), runtime::isa_name(avail[i]));
    o.Set("isaAvailable", arr);
    o.Set("threads", Napi::Number::New(env, runtime::pool_size()));
    return o;
  });
}

// gemm(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc[, bias[, relu]]): the
// test and bench hook (C = epilogue(alpha·op(A)·op(B) + beta·C), epilogue = + bias, then ReLU).
Napi::Value Addon::Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "gemm", [&]() -> Napi::Value {
    const Napi::Value isa_v = info[0];
    if (!isa_v.IsString()) throw_type(env, "gemm(isa): expected a string, received " + describe(isa_v));
    const std::string isa_name = isa_v.As<Napi::String>().Utf8Value();
    runtime::Isa isa;
    if (!runtime::parse_isa(isa_name, &isa))
      throw_range(env, "gemm(isa): expected one of 'scalar', 'avx2', 'avx512', 'neon', received '" + isa_name + "'");
    const kernels::KernelTable* table = runtime::table_for(isa);
    if (!table) {
      std::string avail;
      for (runtime::Isa a : runtime::available_isas()) avail += (avail.empty() ? "" : ", ") + std::string(runtime::isa_name(a));
      throw_coded(env, kErrIsa, "gemm(isa): '" + isa_name + "' is not available in this build on this CPU (available: " +
                                    avail + ")");
    }
    constexpr double kMaxSize = 2147483647.0;
    kernels::GemmArgs g;
    g.trans_a = bool_arg(info[1], "gemm(transA)");
    g.trans_b = bool_arg(info[2], "gemm(transB)");
    g.m = integer_arg(info[3], "gemm(m)", 0, kMaxSize);
    g.n = integer_arg(info[4], "gemm(n)", 0, kMaxSize);
    g.k = integer_arg(info[5], "gemm(k)", 0, kMaxSize);
    g.alpha = static_cast<float>(finite_arg(info[6], "gemm(alpha)"));
    const View<float> a = f32_array(info[7], "gemm(a)", Hold::kCall);
    g.lda = integer_arg(info[8], "gemm(lda)", 1, kMaxSize);
    const View<float> b = f32_array(info[9], "gemm(b)", Hold::kCall);
    g.ldb = integer_arg(info[10], "gemm(ldb)", 1, kMaxSize);
    g.beta = static_cast<float>(finite_arg(info[11], "gemm(beta)"));
    const View<float> c = f32_array(info[12], "gemm(c)", Hold::kCall);
    g.ldc = integer_arg(info[13], "gemm(ldc)", 1, kMaxSize);

    // op(X) is rows×cols, stored row-major (stored_rows × stored_cols) with leading dim ld.
    auto check = [&](const View<float>& v, size_t ld, bool trans, size_t rows, size_t cols, const char* name,
                     const char* ldname, bool needed) {
      const size_t srows = trans ? cols : rows, scols = trans ? rows : cols;
      if (ld < scols)
        throw_range(env, std::string("gemm(") + ldname + "): expected at least " + std::to_string(scols) +
                             " (the row length of " + name + " as stored), received " + std::to_string(ld));
      if (!needed || srows == 0 || scols == 0) return;
      const size_t need = (srows - 1) * ld + scols;  // < 2^62: no overflow
      if (v.length < need)
        throw_range(env, std::string("gemm(") + name + "): expected a Float32Array of at least " +
                             std::to_string(need) + " values (" + std::to_string(srows) + " rows, leading dimension " +
                             std::to_string(ld) + "), received " + describe(v.object));
    };
    const bool reads_ab = g.m > 0 && g.n > 0 && g.k > 0 && g.alpha != 0.0f;
    check(a, g.lda, g.trans_a, g.m, g.k, "a", "lda", reads_ab);
    check(b, g.ldb, g.trans_b, g.k, g.n, "b", "ldb", reads_ab);
    check(c, g.ldc, false, g.m, g.n, "c", "ldc", true);
    g.a = a.data;
    g.b = b.data;
    g.c = c.data;
    // Optional epilogue (bias, relu): the fused bias/ReLU output write of the forward pass.
    if (info.Length() > 14 && !info[14].IsUndefined() && !info[14].IsNull()) {
      const View<float> bias = f32_array(info[14], "gemm(bias)", Hold::kCall);
      if (bias.length < g.n)
        throw_range(env, "gemm(bias): expected a Float32Array of at least " + std::to_string(g.n) +
                             " values (one per column), received " + describe(bias.object));
      g.bias = bias.data;
      const bool relu = info.Length() > 15 && !info[15].IsUndefined() && bool_arg(info[15], "gemm(relu)");
      g.epilogue = relu ? kernels::Epilogue::kBiasRelu : kernels::Epilogue::kBias;
    }
    if (g.m == 0 || g.n == 0) return env.Undefined();

    HookWorkspace& hw = hook_ws_[static_cast<int>(isa)];
    if (hw.ws.threads() == 0 || g.m > hw.m || g.n > hw.n) {
      hw.m = std::max(hw.m, g.m);
      hw.n = std::max(hw.n, g.n);
      hw.ws.reserve(*table, hw.m, hw.n, runtime::pool_size());
    }
    runtime::ScopedDenormalsFlush ftz;
    kernels::gemm(*table, g, hw.ws, &runtime::pool());
    return env.Undefined();
  });
}

}  // namespace dh::binding

using DownhillAddon = dh::binding::Addon;
NODE_API_NAMED_ADDON(downhill, DownhillAddon)
