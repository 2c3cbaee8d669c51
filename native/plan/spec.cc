#include "plan/spec.h"

#include <algorithm>

namespace dh::plan {
namespace {

bool mul_ok(size_t a, size_t b, size_t* out) {
  if (a != 0 && b > static_cast<size_t>(-1) / a) return false;
  *out = a * b;
  return true;
}

bool add_ok(size_t a, size_t b, size_t* out) {
  if (b > static_cast<size_t>(-1) - a) return false;
  *out = a + b;
  return true;
}

std::string layer_field(size_t i, const char* field) {
  return "spec.layers[" + std::to_string(i) + "]." + field;
}

}  // namespace

size_t state_slots(const OptimizerSpec& opt) {
  using K = OptimizerSpec::Kind;
  switch (opt.kind) {
    case K::kSgd: return opt.momentum != 0 ? 1 : 0;
    case K::kAdam: return opt.amsgrad ? 3 : 2;
    case K::kAdagrad: return 1;
    case K::kRmsprop: return 1 + (opt.momentum != 0 ? 1 : 0) + (opt.centered ? 1 : 0);
    case K::kLion: return 1;
    case K::kAdadelta:
    case K::kAdamax:
    case K::kNadam:
    case K::kRadam: return 2;
  }
  return 0;
}

size_t param_count(const Spec& spec) {
  size_t total = 0;
  for (const auto& l : spec.layers) total += l.inputs * l.units + l.units;
  return total;
}

size_t output_size(const Spec& spec) {
  return spec.layers.empty() ? spec.input_size : spec.layers.back().units;
}

std::string validate(const Spec& spec, int threads) {
  const std::string range = "[1, " + std::to_string(kMaxDim) + "]";
  if (spec.input_size < 1 || spec.input_size > kMaxDim)
    return "spec.inputSize: expected an integer in " + range + ", received " + std::to_string(spec.input_size);
  if (spec.max_batch < 1 || spec.max_batch > kMaxDim)
    return "spec.maxBatch: expected an integer in " + range + ", received " + std::to_string(spec.max_batch);
  if (spec.layers.empty()) return "spec.layers: expected at least one layer, received 0";
  if (spec.layers.size() > kMaxLayers)
    return "spec.layers: expected at most " + std::to_string(kMaxLayers) + " layers, received " +
           std::to_string(spec.layers.size());

  size_t prev = spec.input_size;
  size_t params = 0;
  size_t floats = spec.max_batch * spec.input_size;  // gathered input (both <= 2^24: no overflow)
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const DenseLayer& l = spec.layers[i];
    if (l.units < 1 || l.units > kMaxDim)
      return layer_field(i, "units") + ": expected an integer in " + range + ", received " + std::to_string(l.units);
    if (l.inputs != prev)
      return layer_field(i, "inputs") + ": expected " + std::to_string(prev) +
             (i == 0 ? " (spec.inputSize)" : " (the previous layer's units)") + ", received " +
             std::to_string(l.inputs);
    if (l.activation == Activation::kSoftmax && i + 1 != spec.layers.size())
      return layer_field(i, "activation") + ": expected 'linear' or 'relu' ('softmax' only on the last layer), "
             "received 'softmax'";
    size_t w, layer_params, act;
    if (!mul_ok(l.inputs, l.units, &w) || !add_ok(w, l.units, &layer_params) ||
        !add_ok(params, layer_params, &params) || params > kMaxArenaFloats)
      return "spec.layers: expected at most " + std::to_string(kMaxArenaFloats) +
             " parameters in total, received more at layer " + std::to_string(i);
    if (!mul_ok(spec.max_batch, l.units, &act) || !mul_ok(act, 3, &act) || !add_ok(floats, act, &floats))
      return "spec.maxBatch: expected activations of maxBatch rows to fit in memory, received " +
             std::to_string(spec.max_batch);
    prev = l.units;
  }
  // GEMM packing scratch per thread: at most (MC + NC)·KC + a tile for any ISA: < 2^21 floats.
  size_t scratch;
  if (!mul_ok(static_cast<size_t>(std::max(threads, 1)), size_t(1) << 21, &scratch) ||
      !add_ok(floats, scratch, &floats) || floats > kMaxWorkspaceBytes / sizeof(float))
    return "spec.maxBatch: expected the workspace for maxBatch = " + std::to_string(spec.max_batch) +
           " rows to stay under " + std::to_string(kMaxWorkspaceBytes >> 30) + " GiB";
  if (state_slots(spec.optimizer) * params > kMaxArenaFloats)
    return "spec.optimizer: expected the optimizer state (" + std::to_string(state_slots(spec.optimizer)) +
           " × " + std::to_string(params) + " values) to fit in one Float32Array";
  return "";
}

}  // namespace dh::plan
