// Process-wide configuration read once from the environment.
//   DOWNHILL_ISA=scalar|avx2|avx512  force a kernel level (else the best available)
//   DOWNHILL_THREADS=N               pool size including the calling thread (default: the
//                                    physical cores this process may use, at most 16)
//   DOWNHILL_DEBUG_ISA=1             log the dispatch decision on stderr
#pragma once

#include <string>

namespace dh::runtime {

struct Config {
  std::string isa;          // DOWNHILL_ISA as given (empty: auto)
  int threads = 1;          // resolved pool size, >= 1
  bool threads_from_env = false;
  std::string threads_warning;  // non-empty when DOWNHILL_THREADS was ignored
  bool debug_isa = false;
};

constexpr int kMaxThreads = 256;      // hard cap for DOWNHILL_THREADS
constexpr int kDefaultMaxThreads = 16;  // cap for the physical-core default

const Config& config();

}  // namespace dh::runtime
