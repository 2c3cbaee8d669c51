// The AVX2+FMA kernel record (constant-initialised data: no AVX2 code runs to build it).
#include "kernels/table.h"

namespace dh::kernels::avx2 {
namespace {
constexpr KernelTable kTable = {
    Isa::kAvx2,
    "avx2",
    {/*mr=*/6, /*nr=*/16, /*mc=*/144, /*kc=*/256, /*nc=*/4080},
#define DH_KERNEL(name, ret, params) &name,
#include "kernels/kernels.inc"
#undef DH_KERNEL
};
}  // namespace

const KernelTable* table() { return &kTable; }

}  // namespace dh::kernels::avx2
