// Decoding of JS arguments into plain C++ (plan::Spec, typed-array views). Only what could
// corrupt memory or crash is checked here (lib/ validates everything user-facing first).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/spec.h"

namespace dh::binding {

// A typed array's memory as seen at decode time. data is null when length is 0.
template <class T>
struct View {
  T* data = nullptr;
  size_t length = 0;
  Napi::Object object;
};

// Exactly a Float32Array / Int32Array with a live (not detached) buffer, else TypeError
// "<name>: expected a Float32Array, received ...".
// Hold::kJob (a background job or a Plan keeps the view) also rejects a resizable ArrayBuffer,
// which could shrink under the job; Hold::kCall (a synchronous call: no JS runs before it
// returns) skips that check, a property lookup costing about a third of a small GEMM hook call.
enum class Hold { kCall, kJob };
View<float> f32_array(const Napi::Value& v, const std::string& name, Hold hold = Hold::kJob);
View<int32_t> i32_array(const Napi::Value& v, const std::string& name, Hold hold = Hold::kJob);

// A number that is an integer in [lo, hi], else TypeError / RangeError naming it.
size_t integer_arg(const Napi::Value& v, const std::string& name, double lo, double hi);
// A finite number, else TypeError / RangeError.
double finite_arg(const Napi::Value& v, const std::string& name);
bool bool_arg(const Napi::Value& v, const std::string& name);

// An OptimizerSpec object (lib/engine/engine.ts): kind and its finite hyper-parameters;
// amsgrad, clipNorm, clipValue optional. TypeError/RangeError naming `name`.field.
plan::OptimizerSpec decode_optimizer(const Napi::Value& v, const std::string& name);

// The PlanSpec object of lib/engine/engine.ts: inputSize, maxBatch, seed (uint32), layers of
// every kind with all the fields of their kind, loss, optimizer. TypeError for a missing or
// wrong-typed field, RangeError for a bad value ("spec.layers[2].rate: expected a number in
// [0, 1), received 1"), including plan::validate's structural checks (layer chain, units =
// inputs for non-dense layers, fromLogits against the loss and the last layer, sizes), all
// before anything is allocated.
plan::Spec decode_spec(const Napi::Value& v, int threads);

}  // namespace dh::binding
