#include "runtime/config.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>
#include <utility>

#if defined(__linux__)
#include <sched.h>
#endif

namespace dh::runtime {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

#if defined(__linux__)
bool read_int(const std::string& path, long* out) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return false;
  const bool ok = std::fscanf(f, "%ld", out) == 1;
  std::fclose(f);
  return ok;
}
#endif

// Physical cores this process may run on: the affinity mask (taskset, cpusets), with SMT
// siblings counted once (GEMM kernels saturate a core's FMA units; a sibling adds little).
unsigned physical_cores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    std::set<std::pair<long, long>> cores;
    int allowed = 0;
    bool topology = true;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &set)) continue;
      ++allowed;
      const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
      long core = 0, package = 0;
      if (topology && read_int(dir + "core_id", &core) && read_int(dir + "physical_package_id", &package)) {
        cores.insert({package, core});
      } else {
        topology = false;
      }
    }
    if (topology && !cores.empty()) return static_cast<unsigned>(cores.size());
    if (allowed > 0) return static_cast<unsigned>(allowed);
  }
#endif
  return std::thread::hardware_concurrency();
}

Config load() {
  Config c;
  c.isa = env("DOWNHILL_ISA");
  const std::string dbg = env("DOWNHILL_DEBUG_ISA");
  c.debug_isa = !dbg.empty() && dbg != "0" && dbg != "false";

  unsigned hw = physical_cores();
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
