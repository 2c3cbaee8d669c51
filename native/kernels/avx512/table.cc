// The AVX-512F kernel record (constant-initialised data: no AVX-512 code runs to build it).
#include "kernels/table.h"

namespace dh::kernels::avx512 {
namespace {
constexpr KernelTable kTable = {
    Isa::kAvx512,
    "avx512",
    {/*mr=*/12, /*nr=*/32, /*mc=*/144, /*kc=*/256, /*nc=*/4096},
#define DH_KERNEL(name, ret, params) &name,
#include "kernels/kernels.inc"
#undef DH_KERNEL
};
}  // namespace

const KernelTable* table() { return &kTable; }

}  // namespace dh::kernels::avx512
