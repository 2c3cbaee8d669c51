// Error construction for the binding: every message names the argument, the expected and
// the received value ("trainSteps(x): expected a Float32Array, received Float64Array(10)").
#pragma once

#include <napi.h>

#include <exception>
#include <new>
#include <string>

namespace dh::binding {

constexpr const char* kErrBusy = "ERR_DOWNHILL_PLAN_BUSY";
constexpr const char* kErrDisposed = "ERR_DOWNHILL_DISPOSED";
constexpr const char* kErrIsa = "ERR_DOWNHILL_ISA_UNAVAILABLE";

// Short description of a JS value for messages: "undefined", "number 3", "string 'x'",
// "Float64Array(10)", "Array(3)", "an object".
std::string describe(const Napi::Value& v);

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_coded(Napi::Env env, const char* code, const std::string& msg);

// Runs f, turning std::exception (bad_alloc, ...) into JS errors; Napi::Error passes
// through. Every entry point goes through this.
template <class F>
auto guarded(Napi::Env env, const char* where, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw_coded(env, "ERR_DOWNHILL_OUT_OF_MEMORY", std::string(where) + ": out of memory");
  } catch (const std::exception& e) {
    throw_coded(env, "ERR_DOWNHILL_INTERNAL", std::string(where) + ": internal error: " + e.what());
  }
}

}  // namespace dh::binding
