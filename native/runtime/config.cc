#include "runtime/config.h"

#include <cerrno>
#include <cstdlib>
#include <thread>

namespace dh::runtime {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

Config load() {
  Config c;
  c.isa = env("DOWNHILL_ISA");
  const std::string dbg = env("DOWNHILL_DEBUG_ISA");
  c.debug_isa = !dbg.empty() && dbg != "0" && dbg != "false";

  unsigned hw = std::thread::hardware_concurrency();
  if (hw == 0) hw = 1;
  c.threads = static_cast<int>(hw < static_cast<unsigned>(kDefaultMaxThreads) ? hw : kDefaultMaxThreads);

  const std::string t = env("DOWNHILL_THREADS");
  if (!t.empty()) {
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(t.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0' && n >= 1 && n <= kMaxThreads) {
      c.threads = static_cast<int>(n);
      c.threads_from_env = true;
    } else {
      c.threads_warning = "DOWNHILL_THREADS=" + t + " ignored: expected an integer in [1, " +
                          std::to_string(kMaxThreads) + "]; using " + std::to_string(c.threads);
    }
  }
  return c;
}

}  // namespace

const Config& config() {
  static const Config c = load();
  return c;
}

}  // namespace dh::runtime
