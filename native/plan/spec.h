// A network as the plan sees it: plain data decoded by the binding (no N-API here). Mirrors
// lib/engine/engine.ts PlanSpec, whose doc comments are the math spec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/activation.h"
#include "kernels/loss.h"

namespace dh::plan {

using Activation = kernels::Activation;
using LossKind = kernels::LossKind;

enum class LayerKind { kDense, kActivation, kDropout, kBatchNorm, kLayerNorm };

// One layer; each kind reads only its own fields (engine.ts LayerSpec).
struct Layer {
  LayerKind kind = LayerKind::kDense;
  size_t inputs = 0;
  size_t units = 0;
  // dense, activation
  Activation activation = Activation::kLinear;
  double alpha = 0.01;  // leakyRelu's slope, elu's α
  // dense
  bool use_bias = true;
  double kernel_l1 = 0, kernel_l2 = 0, bias_l1 = 0, bias_l2 = 0;
  // dense, batchNorm, layerNorm
  bool trainable = true;
  // dropout
  double rate = 0;
  // batchNorm (momentum), batchNorm and layerNorm (eps)
  double momentum = 0.1, eps = 1e-5;
};

struct LossSpec {
  LossKind kind = LossKind::kCategoricalCrossentropy;
  bool from_logits = false;
  double label_smoothing = 0;
  double delta = 1;
};

struct OptimizerSpec {
  enum class Kind { kSgd, kAdam, kAdagrad, kAdadelta, kRmsprop, kAdamax, kNadam, kRadam, kLion } kind = Kind::kSgd;
  // sgd (momentum also rmsprop)
  double momentum = 0, dampening = 0;
  bool nesterov = false;
  // adam family and lion
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool decoupled = false, amsgrad = false;
  double lr_decay = 0, initial_accumulator_value = 0;  // adagrad
  double rho = 0.9;                                   // adadelta
  double alpha = 0.99;                                // rmsprop
  bool centered = false;                              // rmsprop
  double momentum_decay = 4e-3;                       // nadam
  // all
  double weight_decay = 0;
  double clip_norm = 0, clip_value = 0;  // 0: off
};

struct Spec {
  size_t input_size = 0;
  size_t max_batch = 0;
  uint32_t seed = 0;
  std::vector<Layer> layers;
  LossSpec loss;
  OptimizerSpec optimizer;
};

// Limits checked before anything is allocated.
constexpr size_t kMaxDim = size_t(1) << 24;            // inputSize, units, maxBatch
constexpr size_t kMaxLayers = 4096;
constexpr size_t kMaxArenaFloats = (size_t(1) << 32) - 1;  // largest Float32Array we accept
constexpr size_t kMaxWorkspaceBytes = size_t(1) << 34;   // 16 GiB of activations/scratch

// Structural validation: "" when usable, else a message starting with the field name
// ("spec.layers[1].inputs: expected 256 (the previous layer's units), received 128").
// Checks sizes, the layer chain (non-dense layers: units = inputs), the loss against the
// last layer, and that every size product fits the limits above (overflow-safe). Field
// values (rates, eps, ...) are range-checked by the decoder. The binding throws it as a RangeError.
std::string validate(const Spec& spec, int threads);

// Valid only for a validated spec (engine.ts layerParamCount, paramCount, ...).
size_t layer_param_count(const Layer& l);
size_t param_count(const Spec& spec);
size_t output_size(const Spec& spec);
size_t state_slots(const OptimizerSpec& opt);  // arena-sized state slots (lib/engine/engine.ts stateSlots)
// The arena ranges [start, end) the optimizer updates, in order, adjacent ranges merged
// (engine.ts trainableRanges): trainable dense/layerNorm layers, trainable batchNorm's γ, β.
std::vector<std::pair<size_t, size_t>> trainable_ranges(const Spec& spec);
// The activation producing the output ('linear' for dropout and norm layers).
Activation last_activation(const Spec& spec);
// Sigmoid + binaryCrossentropy or softmax + categoricalCrossentropy: the loss works on the
// last layer's pre-activation (engine.ts lossFusedWithActivation).
bool loss_fused(const Spec& spec);
// Losses that take class indices (engine.ts LABEL_LOSSES).
bool loss_takes_labels(LossKind k);
bool has_batchnorm(const Spec& spec);
const char* activation_name(Activation a);
const char* loss_name(LossKind k);

}  // namespace dh::plan
