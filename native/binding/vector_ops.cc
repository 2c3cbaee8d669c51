// The vector operations of the second-order methods (lib/engine/engine.ts VectorOps), one
// synchronous call each on the JS thread, computed on the pool:
//   vectorDot(a, b)  vectorAxpy(alpha, x, y)  vectorScale(alpha, x)  vectorAddScaled(x, t, d, out)
//   vectorMaxAbs(x)  vectorSumAbs(x)  vectorCopy(x, out)  matmul(transA, transB, m, n, k, a, b, c)
//   spdInverse(s, n, damping, out) -> boolean
// Every argument is checked before any native work: Float32Arrays only (live, fixed-length
// buffers), equal lengths (m·k, k·n, m·n, n·n for the matrices), finite scalars, and no
// partial overlap between an output and an input (elementwise outputs may be the input array
// itself; matmul's c may not overlap a or b at all). lib/engine/native.ts sends anything else
// (Float64Array, non-finite scalars, overlaps) to the TS implementations instead.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "binding/addon.h"
#include "binding/decode.h"
#include "binding/errors.h"
#include "kernels/gemm.h"
#include "kernels/spd_inverse.h"
#include "kernels/vector_ops.h"
#include "runtime/thread_pool.h"

namespace dh::binding {
namespace {

constexpr double kMaxDim = 2147483647.0;

bool overlaps(const View<float>& a, const View<float>& b) {
  if (!a.data || !b.data) return false;
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a.data), a1 = a0 + a.length * sizeof(float);
  const uintptr_t b0 = reinterpret_cast<uintptr_t>(b.data), b1 = b0 + b.length * sizeof(float);
  return a0 < b1 && b0 < a1;
}

// `v` (argument `name` of `op`) holds exactly `n` values; `what` says where n comes from.
void expect_length(Napi::Env env, const View<float>& v, size_t n, const std::string& op, const char* name,
                   const std::string& what) {
  if (v.length != n)
    throw_range(env, op + "(" + name + "): expected a Float32Array(" + std::to_string(n) + ") (" + what +
                         "), received " + describe(v.object));
}

// An elementwise output may be the input itself (same memory, same length) or disjoint from it.
void expect_same_or_disjoint(Napi::Env env, const View<float>& out, const View<float>& in, const std::string& op,
                             const char* out_name, const char* in_name) {
  if (overlaps(out, in) && !(out.data == in.data && out.length == in.length))
    throw_range(env, op + "(" + out_name + "): expected " + in_name + " itself or a Float32Array not overlapping it, " +
                         "received a view overlapping " + in_name + " in part");
}

}  // namespace

Napi::Value Addon::VectorDot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorDot", [&]() -> Napi::Value {
    const View<float> a = f32_array(info[0], "vectorDot(a)");
    const View<float> b = f32_array(info[1], "vectorDot(b)");
    expect_length(env, b, a.length, "vectorDot", "b", "the length of a");
    runtime::ScopedDenormalsFlush ftz;
    return Napi::Number::New(env, kernels::vec_dot(&runtime::pool(), a.length, a.data, b.data));
  });
}

Napi::Value Addon::VectorAxpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorAxpy", [&]() -> Napi::Value {
    const double alpha = finite_arg(info[0], "vectorAxpy(alpha)");
    const View<float> x = f32_array(info[1], "vectorAxpy(x)");
    const View<float> y = f32_array(info[2], "vectorAxpy(y)");
    expect_length(env, y, x.length, "vectorAxpy", "y", "the length of x");
    expect_same_or_disjoint(env, y, x, "vectorAxpy", "y", "x");
    runtime::ScopedDenormalsFlush ftz;
    kernels::vec_axpy(&runtime::pool(), x.length, alpha, x.data, y.data);
    return env.Undefined();
  });
}

Napi::Value Addon::VectorScale(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorScale", [&]() -> Napi::Value {
    const double alpha = finite_arg(info[0], "vectorScale(alpha)");
    const View<float> x = f32_array(info[1], "vectorScale(x)");
    runtime::ScopedDenormalsFlush ftz;
    kernels::vec_scale(&runtime::pool(), x.length, alpha, x.data);
    return env.Undefined();
  });
}

Napi::Value Addon::VectorCopy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorCopy", [&]() -> Napi::Value {
    const View<float> x = f32_array(info[0], "vectorCopy(x)");
    const View<float> out = f32_array(info[1], "vectorCopy(out)");
    expect_length(env, out, x.length, "vectorCopy", "out", "the length of x");
    if (overlaps(out, x)) throw_range(env, "vectorCopy(out): expected an array that does not overlap x");
    kernels::vec_copy(&runtime::pool(), x.length, x.data, out.data);
    return env.Undefined();
  });
}

Napi::Value Addon::VectorAddScaled(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorAddScaled", [&]() -> Napi::Value {
    const View<float> x = f32_array(info[0], "vectorAddScaled(x)");
    const double t = finite_arg(info[1], "vectorAddScaled(t)");
    const View<float> d = f32_array(info[2], "vectorAddScaled(d)");
    const View<float> out = f32_array(info[3], "vectorAddScaled(out)");
    expect_length(env, d, x.length, "vectorAddScaled", "d", "the length of x");
    expect_length(env, out, x.length, "vectorAddScaled", "out", "the length of x");
    expect_same_or_disjoint(env, out, x, "vectorAddScaled", "out", "x");
    expect_same_or_disjoint(env, out, d, "vectorAddScaled", "out", "d");
    runtime::ScopedDenormalsFlush ftz;
    kernels::vec_add_scaled(&runtime::pool(), x.length, x.data, t, d.data, out.data);
    return env.Undefined();
  });
}

Napi::Value Addon::VectorMaxAbs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorMaxAbs", [&]() -> Napi::Value {
    const View<float> x = f32_array(info[0], "vectorMaxAbs(x)");
    runtime::ScopedDenormalsFlush ftz;
    return Napi::Number::New(env, kernels::vec_max_abs(&runtime::pool(), x.length, x.data));
  });
}

Napi::Value Addon::VectorSumAbs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "vectorSumAbs", [&]() -> Napi::Value {
    const View<float> x = f32_array(info[0], "vectorSumAbs(x)");
    runtime::ScopedDenormalsFlush ftz;
    return Napi::Number::New(env, kernels::vec_sum_abs(&runtime::pool(), x.length, x.data));
  });
}

// C (m×n) = op(A)·op(B), row-major, op(A) m×k, op(B) k×n, through the engine's GEMM with the
// dispatched ISA (float accumulation; bit-identical for any thread count, see kernels/gemm.h).
Napi::Value Addon::Matmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "matmul", [&]() -> Napi::Value {
    kernels::GemmArgs g;
    g.trans_a = bool_arg(info[0], "matmul(transA)");
    g.trans_b = bool_arg(info[1], "matmul(transB)");
    g.m = integer_arg(info[2], "matmul(m)", 0, kMaxDim);
    g.n = integer_arg(info[3], "matmul(n)", 0, kMaxDim);
    g.k = integer_arg(info[4], "matmul(k)", 0, kMaxDim);
    const View<float> a = f32_array(info[5], "matmul(a)");
    const View<float> b = f32_array(info[6], "matmul(b)");
    const View<float> c = f32_array(info[7], "matmul(c)");
    // Each dimension < 2³¹: the products fit in size_t.
    expect_length(env, a, g.m * g.k, "matmul", "a", "m·k = " + std::to_string(g.m) + "·" + std::to_string(g.k));
    expect_length(env, b, g.k * g.n, "matmul", "b", "k·n = " + std::to_string(g.k) + "·" + std::to_string(g.n));
    expect_length(env, c, g.m * g.n, "matmul", "c", "m·n = " + std::to_string(g.m) + "·" + std::to_string(g.n));
    for (const auto& [in, name] : {std::pair{&a, "a"}, std::pair{&b, "b"}})
      if (overlaps(c, *in))
        throw_range(env, std::string("matmul(c): expected a Float32Array not overlapping ") + name +
                             ", received one that does");
    if (g.m == 0 || g.n == 0) return env.Undefined();
    g.a = a.data;
    g.lda = g.trans_a ? g.m : g.k;
    g.b = b.data;
    g.ldb = g.trans_b ? g.k : g.n;
    g.c = c.data;
    g.ldc = g.n;
    g.alpha = 1.0f;
    g.beta = 0.0f;
    HookWorkspace& hw = matmul_ws_;
    if (hw.ws.threads() == 0 || g.m > hw.m || g.n > hw.n) {
      hw.m = std::max(hw.m, g.m);
      hw.n = std::max(hw.n, g.n);
      hw.ws.reserve(*table_, hw.m, hw.n, runtime::pool_size());
    }
    runtime::ScopedDenormalsFlush ftz;
    kernels::gemm(*table_, g, hw.ws, &runtime::pool());
    return env.Undefined();
  });
}

// out = (S + damping·I)⁻¹ by Cholesky in double (kernels/spd_inverse.h); false, out untouched,
// when S + damping·I is not positive definite.
Napi::Value Addon::SpdInverse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "spdInverse", [&]() -> Napi::Value {
    const View<float> s = f32_array(info[0], "spdInverse(s)");
    const size_t n = integer_arg(info[1], "spdInverse(n)", 0, kMaxDim);
    const double damping = finite_arg(info[2], "spdInverse(damping)");
    const View<float> out = f32_array(info[3], "spdInverse(out)");
    const std::string nn = "n·n = " + std::to_string(n) + "·" + std::to_string(n);
    expect_length(env, s, n * n, "spdInverse", "s", nn);
    expect_length(env, out, n * n, "spdInverse", "out", nn);
    const size_t need = kernels::spd_scratch_doubles(n);
    if (spd_scratch_.size() < need) spd_scratch_.reset(need);
    runtime::ScopedDenormalsFlush ftz;
    const bool ok = kernels::spd_inverse(*table_, &runtime::pool(), n, s.data, damping, out.data, spd_scratch_.data());
    return Napi::Boolean::New(env, ok);
  });
}

}  // namespace dh::binding
