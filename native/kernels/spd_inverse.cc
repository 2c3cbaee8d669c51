// The driver of kernels/spd_inverse.h: blocking, the small triangular pieces, threading. The
// O(n³) work goes through the ISA's 4×8 double tile kernel; everything here is portable.
#include "kernels/spd_inverse.h"

#include <algorithm>
#include <cmath>

#include "runtime/thread_pool.h"

namespace dh::kernels {
namespace {

constexpr size_t kMr = 4, kNr = 8;  // the tile of f64_gemm_tn_4x8
constexpr size_t kBlock = 64;       // Cholesky block rows (multiple of kMr and kNr)
constexpr size_t kPanel = 32;       // columns per task of the triangular solves (multiple of kNr)
constexpr size_t kMinThreadedN = 96;  // below this the fork/join costs more than it saves

// Runs job(task) for task in [0, ntasks) on the pool when n warrants it, else in order here.
template <class F>
void for_tasks(runtime::ThreadPool* pool, size_t n, size_t ntasks, F&& job) {
  if (!pool || pool->size() <= 1 || n < kMinThreadedN || ntasks <= 1) {
    for (size_t i = 0; i < ntasks; ++i) job(i);
    return;
  }
  auto body = [&](int task, int /*ntasks*/, int /*slot*/) { job(static_cast<size_t>(task)); };
  const int nt = static_cast<int>(ntasks);
  pool->run(nt, std::min(pool->size(), nt), body);
}

// Forward substitution with the transposed upper factor, rows [q0, p1) of R, columns [c0, c1):
//   R[p][j] = (R[p][j] − Σ_{q ∈ [q0, p)} U[q][p]·R[q][j]) / U[p][p]      (R holds the rhs)
// Rows go in groups of 4: the terms of rows before the group come from one tile call, then the
// group's own triangle. q0 is a multiple of 4 and c0 of 8; columns up to c1 rounded up to 8
// are readable (discarded lanes).
void solve_rows(const KernelTable& t, const double* u, double* r, size_t ld, size_t q0, size_t p1, size_t c0,
                size_t c1) {
  double acc[kMr * kNr];
  for (size_t i0 = q0; i0 < p1; i0 += kMr) {
    const size_t mr = std::min(kMr, p1 - i0);
    for (size_t j0 = c0; j0 < c1; j0 += kNr) {
      const size_t nr = std::min(kNr, c1 - j0);
      t.f64_gemm_tn_4x8(i0 - q0, u + q0 * ld + i0, r + q0 * ld + j0, ld, acc);
      for (size_t a = 0; a < mr; ++a) {
        const size_t p = i0 + a;
        const double d = u[p * ld + p];
        double* rp = r + p * ld + j0;
        for (size_t j = 0; j < nr; ++j) {
          double v = rp[j] - acc[a * kNr + j];
          for (size_t q = i0; q < p; ++q) v -= u[q * ld + p] * r[q * ld + j0 + j];
          rp[j] = v / d;
        }
      }
    }
  }
}

// Upper Cholesky in place (A's upper triangle in u on entry, U on success), right-looking by
// block rows of kBlock: the diagonal block unblocked, the block row by forward substitution
// (column panels on the pool), then A[i][j] −= Σ_{p in the block} U[p][i]·U[p][j] over the
// upper trailing part (4-row tiles on the pool).
bool cholesky(const KernelTable& t, runtime::ThreadPool* pool, double* u, size_t n, size_t ld) {
  for (size_t k0 = 0; k0 < n; k0 += kBlock) {
    const size_t k1 = std::min(n, k0 + kBlock);
    for (size_t p = k0; p < k1; ++p) {
      double* up = u + p * ld;
      const double d = up[p];
      if (!(d > 0.0)) return false;  // also NaN
      const double root = std::sqrt(d);
      up[p] = root;
      for (size_t j = p + 1; j < k1; ++j) up[j] /= root;
      for (size_t i = p + 1; i < k1; ++i) {
        const double a = up[i];
        double* ui = u + i * ld;
        for (size_t j = i; j < k1; ++j) ui[j] -= a * up[j];
      }
    }
    if (k1 == n) break;
    const size_t rest = n - k1;
    for_tasks(pool, n, (rest + kPanel - 1) / kPanel, [&](size_t task) {
      const size_t c0 = k1 + task * kPanel;
      solve_rows(t, u, u, ld, k0, k1, c0, std::min(n, c0 + kPanel));
    });
    const size_t kb = k1 - k0;
    for_tasks(pool, n, (rest + kMr - 1) / kMr, [&](size_t task) {
      double acc[kMr * kNr];
      const size_t i0 = k1 + task * kMr, mr = std::min(kMr, n - i0);
      for (size_t j0 = i0 / kNr * kNr; j0 < n; j0 += kNr) {
        t.f64_gemm_tn_4x8(kb, u + k0 * ld + i0, u + k0 * ld + j0, ld, acc);
        const size_t nr = std::min(kNr, n - j0);
        for (size_t a = 0; a < mr; ++a) {
          const size_t i = i0 + a;
          double* ui = u + i * ld;
          for (size_t b = 0; b < nr; ++b)
            if (j0 + b >= i) ui[j0 + b] -= acc[a * kNr + b];
        }
      }
    });
  }
  return true;
}

}  // namespace

bool spd_inverse(const KernelTable& t, runtime::ThreadPool* pool, size_t n, const float* s, double damping, float* out,
                 double* scratch) {
  if (n == 0) return true;
  const size_t ld = spd_ld(n);
  double* u = scratch;
  double* w = scratch + ld * ld;

  // U's upper triangle from S's lower one (U[r][c] = S[c][r], r <= c), in 32×32 blocks so both
  // sides stay in cache; zero padding columns (read as discarded tile lanes).
  constexpr size_t kT = 32;
  for (size_t c0 = 0; c0 < n; c0 += kT)
    for (size_t r0 = 0; r0 <= c0; r0 += kT)
      for (size_t c = c0; c < std::min(n, c0 + kT); ++c)
        for (size_t r = r0; r < std::min(c + 1, r0 + kT); ++r) u[r * ld + c] = static_cast<double>(s[c * n + r]);
  for (size_t i = 0; i < n; ++i) {
    u[i * ld + i] += damping;
    for (size_t j = n; j < ld; ++j) u[i * ld + j] = 0.0;
  }
  if (!cholesky(t, pool, u, n, ld)) return false;

  // W = U⁻ᵀ, lower: column panel [j0, j1) solves U ᵀ·W[:, j0:j1] = I[:, j0:j1] over rows
  // [j0, n) (rows above are 0). Initialised to the identity, padding columns included, so
  // W's strict upper part inside the panel rows comes out as exact zeros.
  for_tasks(pool, n, (n + kPanel - 1) / kPanel, [&](size_t task) {
    const size_t j0 = task * kPanel, j1 = std::min(n, j0 + kPanel), jend = std::min(ld, j0 + kPanel);
    for (size_t p = j0; p < n; ++p)
      for (size_t j = j0; j < jend; ++j) w[p * ld + j] = p == j ? 1.0 : 0.0;
    solve_rows(t, u, w, ld, j0, n, j0, j1);
  });

  // out = WᵀW: out[i][j] = Σ_{p >= max(i, j)} W[p][i]·W[p][j], lower tiles, mirrored.
  for_tasks(pool, n, (n + kMr - 1) / kMr, [&](size_t task) {
    double acc[kMr * kNr];
    const size_t i0 = task * kMr, mr = std::min(kMr, n - i0);
    for (size_t j0 = 0; j0 < i0 + mr; j0 += kNr) {
      const size_t p0 = std::max(i0, j0), nr = std::min(kNr, n - j0);
      t.f64_gemm_tn_4x8(n - p0, w + p0 * ld + i0, w + p0 * ld + j0, ld, acc);
      for (size_t a = 0; a < mr; ++a) {
        const size_t i = i0 + a;
        for (size_t b = 0; b < nr && j0 + b <= i; ++b) {
          const float v = static_cast<float>(acc[a * kNr + b]);
          out[i * n + j0 + b] = v;
          out[(j0 + b) * n + i] = v;
        }
      }
    }
  });
  return true;
}

}  // namespace dh::kernels
