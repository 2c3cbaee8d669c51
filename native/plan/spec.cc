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

const char* kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kDense: return "dense";
    case LayerKind::kActivation: return "activation";
    case LayerKind::kDropout: return "dropout";
    case LayerKind::kBatchNorm: return "batchNorm";
    case LayerKind::kLayerNorm: return "layerNorm";
  }
  return "?";
}

}  // namespace

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kLinear: return "linear";
    case Activation::kRelu: return "relu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
    case Activation::kLeakyRelu: return "leakyRelu";
    case Activation::kElu: return "elu";
    case Activation::kSelu: return "selu";
    case Activation::kGelu: return "gelu";
    case Activation::kGeluTanh: return "geluTanh";
    case Activation::kSoftplus: return "softplus";
    case Activation::kSilu: return "silu";
    case Activation::kHardSigmoid: return "hardSigmoid";
    case Activation::kMish: return "mish";
    case Activation::kSoftmax: return "softmax";
  }
  return "?";
}

const char* loss_name(LossKind k) {
  switch (k) {
    case LossKind::kMeanSquaredError: return "meanSquaredError";
    case LossKind::kMeanAbsoluteError: return "meanAbsoluteError";
    case LossKind::kHuber: return "huber";
    case LossKind::kBinaryCrossentropy: return "binaryCrossentropy";
    case LossKind::kCategoricalCrossentropy: return "categoricalCrossentropy";
    case LossKind::kHinge: return "hinge";
    case LossKind::kSquaredHinge: return "squaredHinge";
    case LossKind::kCategoricalHinge: return "categoricalHinge";
    case LossKind::kKullbackLeiblerDivergence: return "kullbackLeiblerDivergence";
    case LossKind::kLogCosh: return "logCosh";
    case LossKind::kPoisson: return "poisson";
  }
  return "?";
}

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

size_t layer_param_count(const Layer& l) {
  switch (l.kind) {
    case LayerKind::kDense: return l.inputs * l.units + (l.use_bias ? l.units : 0);
    case LayerKind::kBatchNorm: return 4 * l.units;
    case LayerKind::kLayerNorm: return 2 * l.units;
    default: return 0;
  }
}

size_t param_count(const Spec& spec) {
  size_t total = 0;
  for (const auto& l : spec.layers) total += layer_param_count(l);
  return total;
}

size_t output_size(const Spec& spec) {
  return spec.layers.empty() ? spec.input_size : spec.layers.back().units;
}

std::vector<std::pair<size_t, size_t>> trainable_ranges(const Spec& spec) {
  std::vector<std::pair<size_t, size_t>> ranges;
  auto push = [&](size_t start, size_t end) {
    if (end <= start) return;
    if (!ranges.empty() && ranges.back().second == start) {
      ranges.back().second = end;
    } else {
      ranges.emplace_back(start, end);
    }
  };
  size_t offset = 0;
  for (const auto& l : spec.layers) {
    const size_t n = layer_param_count(l);
    if ((l.kind == LayerKind::kDense || l.kind == LayerKind::kLayerNorm) && l.trainable) push(offset, offset + n);
    if (l.kind == LayerKind::kBatchNorm && l.trainable) push(offset, offset + 2 * l.units);
    offset += n;
  }
  return ranges;
}

Activation last_activation(const Spec& spec) {
  if (spec.layers.empty()) return Activation::kLinear;
  const Layer& l = spec.layers.back();
  return l.kind == LayerKind::kDense || l.kind == LayerKind::kActivation ? l.activation : Activation::kLinear;
}

bool loss_fused(const Spec& spec) {
  const Activation a = last_activation(spec);
  return (spec.loss.kind == LossKind::kBinaryCrossentropy && a == Activation::kSigmoid) ||
         (spec.loss.kind == LossKind::kCategoricalCrossentropy && a == Activation::kSoftmax);
}

bool loss_takes_labels(LossKind k) {
  return k == LossKind::kCategoricalCrossentropy || k == LossKind::kCategoricalHinge;
}

bool has_batchnorm(const Spec& spec) {
  for (const auto& l : spec.layers)
    if (l.kind == LayerKind::kBatchNorm) return true;
  return false;
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
    const Layer& l = spec.layers[i];
    if (l.units < 1 || l.units > kMaxDim)
      return layer_field(i, "units") + ": expected an integer in " + range + ", received " + std::to_string(l.units);
    if (l.inputs != prev)
      return layer_field(i, "inputs") + ": expected " + std::to_string(prev) +
             (i == 0 ? " (spec.inputSize)" : " (the previous layer's units)") + ", received " +
             std::to_string(l.inputs);
    if (l.kind != LayerKind::kDense && l.units != l.inputs)
      return layer_field(i, "units") + ": expected " + std::to_string(l.inputs) + " (a " + kind_name(l.kind) +
             " layer has as many units as inputs), received " + std::to_string(l.units);
    size_t w = 0, layer_params = 0, act = 0;
    bool ok = true;
    if (l.kind == LayerKind::kDense) {
      ok = mul_ok(l.inputs, l.units, &w) && add_ok(w, l.use_bias ? l.units : 0, &layer_params);
    } else {
      layer_params = layer_param_count(l);  // units <= 2^24: no overflow
    }
    if (!ok || !add_ok(params, layer_params, &params) || params > kMaxArenaFloats)
      return "spec.layers: expected at most " + std::to_string(kMaxArenaFloats) +
             " parameters in total, received more at layer " + std::to_string(i);
    // Output, gradient and one kept buffer (z or x̂) per layer, plus per-feature scratch.
    if (!mul_ok(spec.max_batch, l.units, &act) || !mul_ok(act, 3, &act) || !add_ok(floats, act, &floats) ||
        !add_ok(floats, 8 * l.units, &floats))
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

  const LossSpec& loss = spec.loss;
  if (loss.from_logits) {
    if (loss.kind != LossKind::kBinaryCrossentropy && loss.kind != LossKind::kCategoricalCrossentropy &&
        loss.kind != LossKind::kPoisson)
      return std::string("spec.loss.fromLogits: expected false (only binaryCrossentropy, categoricalCrossentropy "
                         "and poisson take logits) for the ") +
             loss_name(loss.kind) + " loss, received true";
    const Activation a = last_activation(spec);
    if (a == Activation::kSigmoid || a == Activation::kSoftmax)
      return std::string("spec.loss.fromLogits: expected false with a ") + activation_name(a) +
             " last layer (its outputs are probabilities, not logits), received true";
  }
  return "";
}

}  // namespace dh::plan
