// optimizerStep(isa, spec, lr, t, params, grads, state): the optimizer test hook. Runs one
// fused update (clipping included) with the named ISA's kernels on the pool, exactly as a
// Plan's train step does, so tests can compare every slot bit for bit with the TS engine.
#include <string>

#include "binding/addon.h"
#include "binding/decode.h"
#include "binding/errors.h"
#include "plan/update.h"
#include "runtime/dispatch.h"
#include "runtime/thread_pool.h"

namespace dh::binding {

Napi::Value Addon::OptimizerStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "optimizerStep", [&]() -> Napi::Value {
    const Napi::Value isa_v = info[0];
    if (!isa_v.IsString()) throw_type(env, "optimizerStep(isa): expected a string, received " + describe(isa_v));
    const std::string isa_name = isa_v.As<Napi::String>().Utf8Value();
    runtime::Isa isa;
    if (!runtime::parse_isa(isa_name, &isa))
      throw_range(env, "optimizerStep(isa): expected one of 'scalar', 'avx2', 'avx512', received '" + isa_name + "'");
    const kernels::KernelTable* table = runtime::table_for(isa);
    if (!table)
      throw_coded(env, kErrIsa, "optimizerStep(isa): '" + isa_name + "' is not available in this build on this CPU");
    const plan::OptimizerSpec opt = decode_optimizer(info[1], "optimizerStep(spec)");
    const double lr = finite_arg(info[2], "optimizerStep(lr)");
    const size_t t = integer_arg(info[3], "optimizerStep(t)", 1, 9007199254740991.0);
    const View<float> params = f32_array(info[4], "optimizerStep(params)");
    const View<float> grads = f32_array(info[5], "optimizerStep(grads)");
    const View<float> state = f32_array(info[6], "optimizerStep(state)");
    const size_t n = params.length;
    if (grads.length != n)
      throw_range(env, "optimizerStep(grads): expected a Float32Array(" + std::to_string(n) + ") (the length of params), received " +
                           describe(grads.object));
    const size_t slots = plan::state_slots(opt);
    if (state.length != slots * n)
      throw_range(env, "optimizerStep(state): expected a Float32Array(" + std::to_string(slots * n) + ") (" +
                           std::to_string(slots) + " slots of " + std::to_string(n) + "), received " +
                           describe(state.object));
    if (n == 0) return env.Undefined();
    plan::UpdateScratch scratch;
    runtime::ScopedDenormalsFlush ftz;
    plan::apply_update(*table, &runtime::pool(), opt, n, params.data, grads.data, state.data, static_cast<float>(lr),
                       static_cast<double>(t), scratch);
    return env.Undefined();
  });
}

}  // namespace dh::binding
