// The scalar kernel record: block sizes and kernel pointers (constant-initialised data).
#include "kernels/table.h"

namespace dh::kernels::scalar {
namespace {
constexpr KernelTable kTable = {
    Isa::kScalar,
    "scalar",
    {/*mr=*/4, /*nr=*/8, /*mc=*/128, /*kc=*/256, /*nc=*/2048},
#define DH_KERNEL(name, ret, params) &name,
#include "kernels/kernels.inc"
#undef DH_KERNEL
};
}  // namespace

const KernelTable* table() { return &kTable; }

}  // namespace dh::kernels::scalar
