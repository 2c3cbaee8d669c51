// f64_gemm_tn_4x8 (kernels.inc), baseline (SSE2 on x86-64): the shared plain-C++ body
// kernels/f64_gemm_tn_body.inc compiled with this folder's flags.
#include <cstddef>

#include "kernels/table.h"

namespace dh::kernels::scalar {

#include "kernels/f64_gemm_tn_body.inc"

}  // namespace dh::kernels::scalar
