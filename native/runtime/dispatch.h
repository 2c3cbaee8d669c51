// Kernel dispatch: which ISA levels this build and CPU can run, and the one chosen at load
// (best available, or DOWNHILL_ISA). Decided once per process.
#pragma once

#include <string>
#include <vector>

#include "kernels/table.h"

namespace dh::runtime {

using kernels::Isa;
using kernels::KernelTable;

const char* isa_name(Isa isa);
// "scalar" | "avx2" | "avx512" → true and *out; anything else → false.
bool parse_isa(const std::string& name, Isa* out);

// Compiled into this binary, and the CPU and OS can run it.
bool isa_available(Isa isa);
std::vector<Isa> available_isas();  // ascending: scalar first

// The kernel table of an available ISA, else nullptr.
const KernelTable* table_for(Isa isa);

struct Dispatch {
  bool ok = false;
  std::string error;  // when !ok: why the requested level cannot be used
  Isa isa = Isa::kScalar;
  const KernelTable* table = nullptr;
};

// The process-wide choice (logged on stderr once when DOWNHILL_DEBUG_ISA=1).
const Dispatch& dispatch();

struct CpuFeatures;
// The decision itself, for a requested level ("" = best) on given CPU features (testable
// without the CPU at hand). table is left null.
Dispatch choose_isa(const std::string& requested, const CpuFeatures& cpu);

}  // namespace dh::runtime
