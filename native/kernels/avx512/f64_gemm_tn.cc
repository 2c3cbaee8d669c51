// f64_gemm_tn_4x8 (kernels.inc), AVX-512F (-mavx512f, but
// -ffp-contract=off: no FMA is generated): the shared plain-C++ body
// kernels/f64_gemm_tn_body.inc compiled with this folder's flags.
#include <cstddef>

#include "kernels/table.h"

namespace dh::kernels::avx512 {

#include "kernels/f64_gemm_tn_body.inc"

}  // namespace dh::kernels::avx512
