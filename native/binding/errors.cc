#include "binding/errors.h"

#include <cstdio>
#include <limits>

namespace dh::binding {

namespace {

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

std::string number_text(double d) {
  if (d != d) return "NaN";
  if (d == std::numeric_limits<double>::infinity()) return "Infinity";
  if (d == -std::numeric_limits<double>::infinity()) return "-Infinity";
  if (d == static_cast<double>(static_cast<long long>(d)) && d > -1e15 && d < 1e15)
    return std::to_string(static_cast<long long>(d));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

}  // namespace

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return std::string("boolean ") + (v.As<Napi::Boolean>().Value() ? "true" : "false");
    case napi_number: return "number " + number_text(v.As<Napi::Number>().DoubleValue());
    case napi_string: {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string '" + s + "'";
    }
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: break;
  }
  if (v.IsTypedArray()) {
    const auto ta = v.As<Napi::TypedArray>();
    return std::string(typed_array_name(ta.TypedArrayType())) + "(" + std::to_string(ta.ElementLength()) + ")";
  }
  if (v.IsArray()) return "Array(" + std::to_string(v.As<Napi::Array>().Length()) + ")";
  if (v.IsArrayBuffer()) return "ArrayBuffer(" + std::to_string(v.As<Napi::ArrayBuffer>().ByteLength()) + ")";
  if (v.IsDataView()) return "a DataView";
  return "an object";
}

void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

void throw_coded(Napi::Env env, const char* code, const std::string& msg) {
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, code));
  throw err;
}

}  // namespace dh::binding
