// The NEON kernel record (AArch64; constant-initialised data).
#include "kernels/table.h"

namespace dh::kernels::neon {
namespace {
constexpr KernelTable kTable = {
    Isa::kNeon,
    "neon",
    {/*mr=*/12, /*nr=*/8, /*mc=*/120, /*kc=*/256, /*nc=*/2048},
#define DH_KERNEL(name, ret, params) &name,
#include "kernels/kernels.inc"
#undef DH_KERNEL
};
}  // namespace

const KernelTable* table() { return &kTable; }

}  // namespace dh::kernels::neon
