// CPU feature detection (cpuid + xgetbv). Baseline code: safe to call on any x86-64 CPU,
// compiles to a stub elsewhere.
#pragma once

#include <string>

namespace dh::runtime {

struct CpuFeatures {
  bool x86 = false;
  bool avx = false;       // cpuid.1:ECX.AVX
  bool fma = false;       // cpuid.1:ECX.FMA
  bool avx2 = false;      // cpuid.7.0:EBX.AVX2
  bool avx512f = false;   // cpuid.7.0:EBX.AVX512F
  bool os_ymm = false;    // XCR0 bits 1,2: the OS saves XMM/YMM state
  bool os_zmm = false;    // XCR0 bits 5,6,7: the OS saves opmask/ZMM state
  std::string brand;      // "AMD EPYC ..." when the CPU reports it
};

// Detected once; thread-safe.
const CpuFeatures& cpu_features();

// "avx avx2 fma avx512f (OS: ymm zmm)" style summary for error messages and logs.
std::string describe_cpu(const CpuFeatures& f);

}  // namespace dh::runtime
