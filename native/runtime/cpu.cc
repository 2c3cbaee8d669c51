#include "runtime/cpu.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define DH_X86 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace dh::runtime {
namespace {

#if DH_X86
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<uint32_t>(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

// Only called after cpuid says OSXSAVE is set, so the instruction exists.
uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  f.x86 = true;
  uint32_t r[4];
  cpuid(0, 0, r);
  const uint32_t max_leaf = r[0];
  if (max_leaf >= 1) {
    cpuid(1, 0, r);
    const bool osxsave = (r[2] >> 27) & 1;
    f.avx = (r[2] >> 28) & 1;
    f.fma = (r[2] >> 12) & 1;
    if (osxsave) {
      const uint64_t xcr0 = xgetbv0();
      f.os_ymm = (xcr0 & 0x6) == 0x6;
      f.os_zmm = f.os_ymm && (xcr0 & 0xe0) == 0xe0;
    }
  }
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    f.avx2 = (r[1] >> 5) & 1;
    f.avx512f = (r[1] >> 16) & 1;
  }
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    char brand[49] = {0};
    for (uint32_t i = 0; i < 3; ++i) {
      cpuid(0x80000002u + i, 0, r);
      std::memcpy(brand + 16 * i, r, 16);
    }
    f.brand = brand;
    const auto first = f.brand.find_first_not_of(' ');
    const auto last = f.brand.find_last_not_of(' ');
    f.brand = first == std::string::npos ? std::string() : f.brand.substr(first, last - first + 1);
  }
  return f;
}
#else
CpuFeatures detect() { return CpuFeatures(); }
#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();  // thread-safe static init
  return features;
}

std::string describe_cpu(const CpuFeatures& f) {
  if (!f.x86) return "non-x86 CPU (scalar kernels only)";
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx, "avx");
  add(f.fma, "fma");
  add(f.avx2, "avx2");
  add(f.avx512f, "avx512f");
  if (s.empty()) s = "no avx";
  s += f.os_zmm ? " (OS saves ymm+zmm)" : f.os_ymm ? " (OS saves ymm only)" : " (OS saves no ymm)";
  if (!f.brand.empty()) s = f.brand + ": " + s;
  return s;
}

}  // namespace dh::runtime
