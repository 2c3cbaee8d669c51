#include "runtime/dispatch.h"

#include <cstdio>

#include "runtime/config.h"
#include "runtime/cpu.h"

namespace dh::runtime {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
  }
  return "unknown";
}

bool parse_isa(const std::string& name, Isa* out) {
  for (int i = 0; i < kernels::kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (name == isa_name(isa)) {
      *out = isa;
      return true;
    }
  }
  return false;
}

namespace {

bool isa_compiled(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2:
#ifdef DH_BUILD_AVX2
      return true;
#else
      return false;
#endif
    case Isa::kAvx512:
#ifdef DH_BUILD_AVX512
      return true;
#else
      return false;
#endif
    case Isa::kNeon:
#ifdef DH_BUILD_NEON
      return true;
#else
      return false;
#endif
  }
  return false;
}

bool cpu_runs(Isa isa, const CpuFeatures& f) {
  const bool avx2 = f.avx && f.avx2 && f.fma && f.os_ymm;
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return avx2;
    case Isa::kAvx512: return avx2 && f.avx512f && f.os_zmm;
    case Isa::kNeon: return !f.x86;  // Advanced SIMD is part of every AArch64 CPU
  }
  return false;
}

std::vector<Isa> available_on(const CpuFeatures& f) {
  std::vector<Isa> out;
  for (int i = 0; i < kernels::kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (isa_compiled(isa) && cpu_runs(isa, f)) out.push_back(isa);
  }
  return out;
}

std::string list(const std::vector<Isa>& isas) {
  std::string s;
  for (Isa isa : isas) s += (s.empty() ? "" : ", ") + std::string(isa_name(isa));
  return s;
}

Dispatch decide() {
  const Config& cfg = config();
  Dispatch d = choose_isa(cfg.isa, cpu_features());
  const std::string avail_list = list(available_isas());
  if (d.ok) d.table = table_for(d.isa);
  if (cfg.debug_isa) {
    if (d.ok) {
      std::fprintf(stderr, "downhill: isa=%s (%s; available: %s; CPU: %s), threads=%d\n", isa_name(d.isa),
                   cfg.isa.empty() ? "best available" : "forced by DOWNHILL_ISA", avail_list.c_str(),
                   describe_cpu(cpu_features()).c_str(), cfg.threads);
    } else {
      std::fprintf(stderr, "downhill: %s\n", d.error.c_str());
    }
  }
  if (!cfg.threads_warning.empty()) std::fprintf(stderr, "downhill: %s\n", cfg.threads_warning.c_str());
  return d;
}

}  // namespace

Dispatch choose_isa(const std::string& requested, const CpuFeatures& cpu) {
  Dispatch d;
  const std::vector<Isa> avail = available_on(cpu);
  if (requested.empty()) {
    d.isa = avail.back();
    d.ok = true;
    return d;
  }
  Isa want;
  if (!parse_isa(requested, &want)) {
    d.error = "DOWNHILL_ISA=" + requested + " is not a kernel level: expected one of scalar, avx2, avx512, neon";
  } else if (!isa_compiled(want)) {
    d.error = "DOWNHILL_ISA=" + requested + " cannot be used: this build has no " + requested +
              " kernels (available: " + list(avail) + ")";
  } else if (!cpu_runs(want, cpu)) {
    d.error = "DOWNHILL_ISA=" + requested + " cannot be used: this CPU/OS does not support it (CPU: " +
              describe_cpu(cpu) + "; available: " + list(avail) + ")";
  } else {
    d.isa = want;
    d.ok = true;
  }
  return d;
}

bool isa_available(Isa isa) { return isa_compiled(isa) && cpu_runs(isa, cpu_features()); }

std::vector<Isa> available_isas() { return available_on(cpu_features()); }

const KernelTable* table_for(Isa isa) {
  if (!isa_available(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar: return kernels::scalar::table();
#ifdef DH_BUILD_AVX2
    case Isa::kAvx2: return kernels::avx2::table();
#endif
#ifdef DH_BUILD_AVX512
    case Isa::kAvx512: return kernels::avx512::table();
#endif
#ifdef DH_BUILD_NEON
    case Isa::kNeon: return kernels::neon::table();
#endif
    default: return nullptr;
  }
}

const Dispatch& dispatch() {
  static const Dispatch d = decide();
  return d;
}

}  // namespace dh::runtime
