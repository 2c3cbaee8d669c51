// A network as the plan sees it: plain data decoded by the binding (no N-API here).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dh::plan {

enum class Activation { kLinear, kRelu, kSoftmax };
enum class Loss { kCategoricalCrossentropy };

struct DenseLayer {
  size_t inputs = 0;
  size_t units = 0;
  Activation activation = Activation::kLinear;
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
  Loss loss = Loss::kCategoricalCrossentropy;
  std::vector<DenseLayer> layers;
  OptimizerSpec optimizer;
};

// Limits checked before anything is allocated.
constexpr size_t kMaxDim = size_t(1) << 24;            // inputSize, units, maxBatch
constexpr size_t kMaxLayers = 4096;
constexpr size_t kMaxArenaFloats = (size_t(1) << 32) - 1;  // largest Float32Array we accept
constexpr size_t kMaxWorkspaceBytes = size_t(1) << 34;   // 16 GiB of activations/scratch

// Structural validation: "" when usable, else a message starting with the field name
// ("spec.layers[1].inputs: expected 256 (the previous layer's units), received 128").
// Checks sizes, the layer chain, softmax placement and that every size product fits the
// limits above (overflow-safe). The binding throws it as a RangeError.
std::string validate(const Spec& spec, int threads);

// Valid only for a validated spec.
size_t param_count(const Spec& spec);
size_t output_size(const Spec& spec);
size_t state_slots(const OptimizerSpec& opt);  // arena-sized state slots (lib/engine/engine.ts stateSlots)

}  // namespace dh::plan
