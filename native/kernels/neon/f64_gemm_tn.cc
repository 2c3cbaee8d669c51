// f64_gemm_tn_4x8 (kernels.inc), NEON (AArch64 baseline): the shared plain-C++ body
// kernels/f64_gemm_tn_body.inc compiled with this folder's flags.
#include <cstddef>

#include "kernels/table.h"

namespace dh::kernels::neon {

#include "kernels/f64_gemm_tn_body.inc"

}  // namespace dh::kernels::neon
