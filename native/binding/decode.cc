#include "binding/decode.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "binding/errors.h"

namespace dh::binding {
namespace {

template <class T>
View<T> typed_array(const Napi::Value& v, const std::string& name, napi_typedarray_type want, const char* type, Hold hold) {
  Napi::Env env = v.Env();
  napi_typedarray_type t = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  size_t offset = 0;
  if (!v.IsTypedArray() || napi_get_typedarray_info(env, v, &t, &length, &data, &buffer, &offset) != napi_ok ||
      t != want)
    throw_type(env, name + ": expected a " + type + ", received " + describe(v));
  bool is_array_buffer = false;  // false: a SharedArrayBuffer (never detached, never shrinks)
  NAPI_THROW_IF_FAILED(env, napi_is_arraybuffer(env, buffer, &is_array_buffer), View<T>());
  if (is_array_buffer) {
    bool detached = false;
    NAPI_THROW_IF_FAILED(env, napi_is_detached_arraybuffer(env, buffer, &detached), View<T>());
    if (detached)
      throw_type(env, name + ": expected a " + type + ", received a " + type + " whose ArrayBuffer is detached");
    // A resizable ArrayBuffer can shrink (and free pages) while a background job uses it; a
    // synchronous call (Hold::kCall) returns before any JS can resize it.
    if (hold == Hold::kJob && Napi::Value(env, buffer).As<Napi::Object>().Get("resizable").ToBoolean().Value())
      throw_type(env, name + ": expected a " + type + " over a fixed-length ArrayBuffer, received one over a " +
                          "resizable ArrayBuffer");
  }
  View<T> out;
  out.object = v.As<Napi::Object>();
  out.length = length;
  if (length > 0) {
    if (!data) throw_type(env, name + ": expected a " + type + ", received one without memory");
    out.data = static_cast<T*>(data);
  }
  return out;
}

Napi::Object object_arg(const Napi::Value& v, const std::string& name) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction())
    throw_type(v.Env(), name + ": expected an object, received " + describe(v));
  return v.As<Napi::Object>();
}

std::string string_arg(const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) throw_type(v.Env(), name + ": expected a string, received " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace

View<float> f32_array(const Napi::Value& v, const std::string& name, Hold hold) {
  return typed_array<float>(v, name, napi_float32_array, "Float32Array", hold);
}

View<int32_t> i32_array(const Napi::Value& v, const std::string& name, Hold hold) {
  return typed_array<int32_t>(v, name, napi_int32_array, "Int32Array", hold);
}

size_t integer_arg(const Napi::Value& v, const std::string& name, double lo, double hi) {
  if (!v.IsNumber()) throw_type(v.Env(), name + ": expected a number, received " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || std::floor(d) != d) {
    char range[96];
    std::snprintf(range, sizeof range, "[%.0f, %.0f]", lo, hi);
    throw_range(v.Env(), name + ": expected an integer in " + range + ", received " + describe(v).substr(7));
  }
  return static_cast<size_t>(d);
}

double finite_arg(const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) throw_type(v.Env(), name + ": expected a number, received " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw_range(v.Env(), name + ": expected a finite number, received " + describe(v).substr(7));
  return d;
}

bool bool_arg(const Napi::Value& v, const std::string& name) {
  if (!v.IsBoolean()) throw_type(v.Env(), name + ": expected a boolean, received " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

namespace {

// An optional number field: `fallback` when undefined, else a finite number >= lo.
// (lo is 0 for every caller.)
double optional_number(const Napi::Object& o, const char* key, const std::string& name, double fallback, double lo) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  const double d = finite_arg(v, name + "." + key);
  if (d < lo) throw_range(v.Env(), name + "." + key + ": expected a number >= 0, received " + describe(v).substr(7));
  return d;
}

bool optional_bool(const Napi::Object& o, const char* key, const std::string& name) {
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? false : bool_arg(v, name + "." + key);
}

}  // namespace

plan::OptimizerSpec decode_optimizer(const Napi::Value& v, const std::string& name) {
  Napi::Env env = v.Env();
  const Napi::Object opt = object_arg(v, name);
  const std::string kind = string_arg(opt.Get("kind"), name + ".kind");
  plan::OptimizerSpec os;
  using K = plan::OptimizerSpec::Kind;
  auto num = [&](const char* key) { return finite_arg(opt.Get(key), name + "." + key); };
  auto flag = [&](const char* key) { return bool_arg(opt.Get(key), name + "." + key); };
  if (kind == "sgd") {
    os.kind = K::kSgd;
    os.momentum = num("momentum");
    os.dampening = num("dampening");
    os.nesterov = flag("nesterov");
  } else if (kind == "adam") {
    os.kind = K::kAdam;
    os.beta1 = num("beta1");
    os.beta2 = num("beta2");
    os.eps = num("eps");
    os.decoupled = flag("decoupled");
    os.amsgrad = optional_bool(opt, "amsgrad", name);
  } else if (kind == "adagrad") {
    os.kind = K::kAdagrad;
    os.lr_decay = num("lrDecay");
    os.initial_accumulator_value = num("initialAccumulatorValue");
    os.eps = num("eps");
  } else if (kind == "adadelta") {
    os.kind = K::kAdadelta;
    os.rho = num("rho");
    os.eps = num("eps");
  } else if (kind == "rmsprop") {
    os.kind = K::kRmsprop;
    os.alpha = num("alpha");
    os.eps = num("eps");
    os.momentum = num("momentum");
    os.centered = flag("centered");
  } else if (kind == "adamax" || kind == "nadam" || kind == "radam" || kind == "lion") {
    os.kind = kind == "adamax" ? K::kAdamax : kind == "nadam" ? K::kNadam : kind == "radam" ? K::kRadam : K::kLion;
    os.beta1 = num("beta1");
    os.beta2 = num("beta2");
    if (kind != "lion") os.eps = num("eps");
    if (kind == "nadam") os.momentum_decay = num("momentumDecay");
  } else {
    throw_range(env, name + ".kind: expected one of 'sgd', 'adam', 'adagrad', 'adadelta', 'rmsprop', 'adamax', "
                     "'nadam', 'radam', 'lion', received '" + kind + "'");
  }
  os.weight_decay = num("weightDecay");
  os.clip_norm = optional_number(opt, "clipNorm", name, 0, 0);
  os.clip_value = optional_number(opt, "clipValue", name, 0, 0);
  return os;
}

namespace {

// A finite number in a range, else TypeError / RangeError "<name>: expected a number in [0, 1), received 1".
// lo/hi open or closed; `text` describes the range for the message.
double number_in(const Napi::Value& v, const std::string& name, double lo, bool lo_open, double hi, bool hi_open,
                 const char* text) {
  if (!v.IsNumber()) throw_type(v.Env(), name + ": expected a number, received " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  const bool ok = std::isfinite(d) && (lo_open ? d > lo : d >= lo) && (hi_open ? d < hi : d <= hi);
  if (!ok) throw_range(v.Env(), name + ": expected " + text + ", received " + describe(v).substr(7));
  return d;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

double nonnegative(const Napi::Value& v, const std::string& name) {
  return number_in(v, name, 0, false, kInf, true, "a finite number >= 0");
}

double positive(const Napi::Value& v, const std::string& name) {
  return number_in(v, name, 0, true, kInf, true, "a finite number > 0");
}

// One of `names` (enum order), else TypeError / RangeError listing them.
template <size_t N>
size_t one_of(const Napi::Value& v, const std::string& name, const char* const (&names)[N]) {
  const std::string s = string_arg(v, name);
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return i;
  std::string list;
  for (size_t i = 0; i < N; ++i) list += (i ? ", '" : "'") + std::string(names[i]) + "'";
  std::string shown = s.size() > 40 ? s.substr(0, 40) + "..." : s;
  throw_range(v.Env(), name + ": expected one of " + list + ", received '" + shown + "'");
}

const char* const kActivations[] = {"linear", "relu",     "sigmoid",  "tanh", "leakyRelu",   "elu",  "selu",
                                    "gelu",   "geluTanh", "softplus", "silu", "hardSigmoid", "mish", "softmax"};
const char* const kLayerKinds[] = {"dense", "activation", "dropout", "batchNorm", "layerNorm"};
const char* const kLosses[] = {"meanSquaredError", "meanAbsoluteError", "huber", "binaryCrossentropy",
                               "categoricalCrossentropy", "hinge", "squaredHinge", "categoricalHinge",
                               "kullbackLeiblerDivergence", "logCosh", "poisson"};
static_assert(sizeof(kActivations) / sizeof(kActivations[0]) == static_cast<size_t>(plan::Activation::kSoftmax) + 1,
              "activation names follow the enum");
static_assert(sizeof(kLosses) / sizeof(kLosses[0]) == static_cast<size_t>(plan::LossKind::kPoisson) + 1,
              "loss names follow the enum");

plan::Layer decode_layer(const Napi::Value& v, const std::string& name) {
  const double kMax = static_cast<double>(plan::kMaxDim);
  const Napi::Object o = object_arg(v, name);
  plan::Layer l;
  l.kind = static_cast<plan::LayerKind>(one_of(o.Get("kind"), name + ".kind", kLayerKinds));
  l.inputs = integer_arg(o.Get("inputs"), name + ".inputs", 1, kMax);
  l.units = integer_arg(o.Get("units"), name + ".units", 1, kMax);
  auto field = [&](const char* key) { return o.Get(key); };
  auto path = [&](const char* key) { return name + "." + key; };
  switch (l.kind) {
    case plan::LayerKind::kDense:
    case plan::LayerKind::kActivation:
      l.activation = static_cast<plan::Activation>(one_of(field("activation"), path("activation"), kActivations));
      l.alpha = finite_arg(field("alpha"), path("alpha"));
      if (l.kind == plan::LayerKind::kActivation) break;
      l.use_bias = bool_arg(field("useBias"), path("useBias"));
      l.trainable = bool_arg(field("trainable"), path("trainable"));
      l.kernel_l1 = nonnegative(field("kernelL1"), path("kernelL1"));
      l.kernel_l2 = nonnegative(field("kernelL2"), path("kernelL2"));
      l.bias_l1 = nonnegative(field("biasL1"), path("biasL1"));
      l.bias_l2 = nonnegative(field("biasL2"), path("biasL2"));
      break;
    case plan::LayerKind::kDropout:
      l.rate = number_in(field("rate"), path("rate"), 0, false, 1, true, "a number in [0, 1)");
      break;
    case plan::LayerKind::kBatchNorm:
      l.momentum = number_in(field("momentum"), path("momentum"), 0, false, 1, false, "a number in [0, 1]");
      l.eps = positive(field("eps"), path("eps"));
      l.trainable = bool_arg(field("trainable"), path("trainable"));
      break;
    case plan::LayerKind::kLayerNorm:
      l.eps = positive(field("eps"), path("eps"));
      l.trainable = bool_arg(field("trainable"), path("trainable"));
      break;
  }
  return l;
}

plan::LossSpec decode_loss(const Napi::Value& v, const std::string& name) {
  const Napi::Object o = object_arg(v, name);
  plan::LossSpec loss;
  loss.kind = static_cast<plan::LossKind>(one_of(o.Get("kind"), name + ".kind", kLosses));
  loss.from_logits = bool_arg(o.Get("fromLogits"), name + ".fromLogits");
  loss.label_smoothing =
      number_in(o.Get("labelSmoothing"), name + ".labelSmoothing", 0, false, 1, false, "a number in [0, 1]");
  loss.delta = positive(o.Get("delta"), name + ".delta");
  return loss;
}

}  // namespace

plan::Spec decode_spec(const Napi::Value& v, int threads) {
  Napi::Env env = v.Env();
  const Napi::Object o = object_arg(v, "spec");
  plan::Spec spec;
  const double kMax = static_cast<double>(plan::kMaxDim);
  spec.input_size = integer_arg(o.Get("inputSize"), "spec.inputSize", 1, kMax);
  spec.max_batch = integer_arg(o.Get("maxBatch"), "spec.maxBatch", 1, kMax);
  spec.seed = static_cast<uint32_t>(integer_arg(o.Get("seed"), "spec.seed", 0, 4294967295.0));

  const Napi::Value layers_v = o.Get("layers");
  if (!layers_v.IsArray()) throw_type(env, "spec.layers: expected an array, received " + describe(layers_v));
  const Napi::Array layers = layers_v.As<Napi::Array>();
  const uint32_t n_layers = layers.Length();
  if (n_layers == 0) throw_range(env, "spec.layers: expected at least one layer, received 0");
  if (n_layers > plan::kMaxLayers)
    throw_range(env, "spec.layers: expected at most " + std::to_string(plan::kMaxLayers) + " layers, received " +
                         std::to_string(n_layers));
  for (uint32_t i = 0; i < n_layers; ++i)
    spec.layers.push_back(decode_layer(layers.Get(i), "spec.layers[" + std::to_string(i) + "]"));

  spec.loss = decode_loss(o.Get("loss"), "spec.loss");
  spec.optimizer = decode_optimizer(o.Get("optimizer"), "spec.optimizer");

  const std::string err = plan::validate(spec, threads);
  if (!err.empty()) throw_range(env, err);
  return spec;
}

}  // namespace dh::binding
