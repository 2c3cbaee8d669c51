// Batch and layer normalization (see norm.h). Per-feature reductions go over column blocks
// of kBlock features: one thread sweeps all rows of its block in row order.
#include "kernels/norm.h"

#include <cmath>

#include "kernels/parallel.h"

namespace dh::kernels {
namespace {

constexpr size_t kBlock = 64;

// dγ_j (+)= Σ_r dy·x̂, dβ_j (+)= Σ_r dy for columns [c0, c1) (at most kBlock), double sums in row order.
void param_sums(size_t rows, size_t cols, size_t c0, size_t c1, const float* dy, const float* xhat, double* sdg,
                double* sdb) {
  const size_t w = c1 - c0;
  for (size_t j = 0; j < w; ++j) sdg[j] = 0.0, sdb[j] = 0.0;
  for (size_t r = 0; r < rows; ++r) {
    const float* d = dy + r * cols + c0;
    const float* h = xhat + r * cols + c0;
    for (size_t j = 0; j < w; ++j) {
      sdb[j] += static_cast<double>(d[j]);
      sdg[j] += static_cast<double>(d[j]) * static_cast<double>(h[j]);
    }
  }
}

void store(float* out, size_t j, double v, bool accumulate) {
  out[j] = accumulate ? out[j] + static_cast<float>(v) : static_cast<float>(v);
}

}  // namespace

void batchnorm_forward(runtime::ThreadPool* pool, const BatchNormForward& f) {
  const size_t rows = f.rows, cols = f.cols;
  parallel_for(pool, cols, kBlock, rows * 4, [&](size_t b0, size_t b1) {
    for (size_t c0 = b0; c0 < b1; c0 += kBlock) {
      const size_t c1 = c0 + kBlock < b1 ? c0 + kBlock : b1, w = c1 - c0;
      float mu[kBlock];
      if (f.training) {
        double s[kBlock] = {};
        for (size_t r = 0; r < rows; ++r) {
          const float* x = f.x + r * cols + c0;
          for (size_t j = 0; j < w; ++j) s[j] += static_cast<double>(x[j]);
        }
        const double n = static_cast<double>(rows);
        for (size_t j = 0; j < w; ++j) s[j] /= n;
        double q[kBlock] = {};
        for (size_t r = 0; r < rows; ++r) {
          const float* x = f.x + r * cols + c0;
          for (size_t j = 0; j < w; ++j) {
            const double d = static_cast<double>(x[j]) - s[j];
            q[j] += d * d;
          }
        }
        for (size_t j = 0; j < w; ++j) {
          const double var = q[j] / n;
          f.mean[c0 + j] = s[j];
          f.var[c0 + j] = var;
          mu[j] = static_cast<float>(s[j]);
          f.invstd[c0 + j] = static_cast<float>(1.0 / std::sqrt(var + f.eps));
        }
      } else {
        for (size_t j = 0; j < w; ++j) {
          mu[j] = f.running_mean[c0 + j];
          f.invstd[c0 + j] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(f.running_var[c0 + j]) + f.eps));
        }
      }
      const float* is = f.invstd + c0;
      const float* g = f.gamma + c0;
      const float* bt = f.beta + c0;
      for (size_t r = 0; r < rows; ++r) {
        const float* x = f.x + r * cols + c0;
        float* h = f.xhat + r * cols + c0;
        float* y = f.y + r * cols + c0;
        for (size_t j = 0; j < w; ++j) {
          const float xh = (x[j] - mu[j]) * is[j];
          h[j] = xh;
          y[j] = g[j] * xh + bt[j];
        }
      }
    }
  });
}

void batchnorm_backward(runtime::ThreadPool* pool, const BatchNormBackward& b) {
  const size_t rows = b.rows, cols = b.cols;
  parallel_for(pool, cols, kBlock, rows * 4, [&](size_t b0, size_t b1) {
    for (size_t c0 = b0; c0 < b1; c0 += kBlock) {
      const size_t c1 = c0 + kBlock < b1 ? c0 + kBlock : b1, w = c1 - c0;
      double sdg[kBlock], sdb[kBlock];
      param_sums(rows, cols, c0, c1, b.dy, b.xhat, sdg, sdb);
      if (b.dgamma)
        for (size_t j = 0; j < w; ++j) store(b.dgamma, c0 + j, sdg[j], b.accumulate);
      if (b.dbeta)
        for (size_t j = 0; j < w; ++j) store(b.dbeta, c0 + j, sdb[j], b.accumulate);
      if (!b.dx) continue;
      if (b.training) {
        const double n = static_cast<double>(rows);
        double a[kBlock], mb[kBlock], mg[kBlock];
        for (size_t j = 0; j < w; ++j) {
          a[j] = static_cast<double>(b.gamma[c0 + j]) * static_cast<double>(b.invstd[c0 + j]);
          mb[j] = sdb[j] / n;
          mg[j] = sdg[j] / n;
        }
        for (size_t r = 0; r < rows; ++r) {
          const float* d = b.dy + r * cols + c0;
          const float* h = b.xhat + r * cols + c0;
          float* dx = b.dx + r * cols + c0;
          for (size_t j = 0; j < w; ++j)
            dx[j] = static_cast<float>(a[j] * ((static_cast<double>(d[j]) - mb[j]) - static_cast<double>(h[j]) * mg[j]));
        }
      } else {
        float a[kBlock];
        for (size_t j = 0; j < w; ++j) a[j] = b.gamma[c0 + j] * b.invstd[c0 + j];
        for (size_t r = 0; r < rows; ++r) {
          const float* d = b.dy + r * cols + c0;
          float* dx = b.dx + r * cols + c0;
          for (size_t j = 0; j < w; ++j) dx[j] = d[j] * a[j];
        }
      }
    }
  });
}

void layernorm_forward(runtime::ThreadPool* pool, const LayerNormForward& f) {
  const size_t cols = f.cols;
  parallel_for(pool, f.rows, 1, cols * 4, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* x = f.x + r * cols;
      double s = 0.0;
      for (size_t j = 0; j < cols; ++j) s += static_cast<double>(x[j]);
      const double mean = s / static_cast<double>(cols);
      double q = 0.0;
      for (size_t j = 0; j < cols; ++j) {
        const double d = static_cast<double>(x[j]) - mean;
        q += d * d;
      }
      const float mu = static_cast<float>(mean);
      const float is = static_cast<float>(1.0 / std::sqrt(q / static_cast<double>(cols) + f.eps));
      f.invstd[r] = is;
      float* h = f.xhat + r * cols;
      float* y = f.y + r * cols;
      for (size_t j = 0; j < cols; ++j) {
        const float xh = (x[j] - mu) * is;
        h[j] = xh;
        y[j] = f.gamma[j] * xh + f.beta[j];
      }
    }
  });
}

void layernorm_backward(runtime::ThreadPool* pool, const LayerNormBackward& b) {
  const size_t rows = b.rows, cols = b.cols;
  if (b.dx) {
    parallel_for(pool, rows, 1, cols * 4, [&](size_t r0, size_t r1) {
      const double n = static_cast<double>(cols);
      for (size_t r = r0; r < r1; ++r) {
        const float* d = b.dy + r * cols;
        const float* h = b.xhat + r * cols;
        float* dx = b.dx + r * cols;
        double s1 = 0.0, s2 = 0.0;
        for (size_t j = 0; j < cols; ++j) {
          const double dh = static_cast<double>(d[j] * b.gamma[j]);
          s1 += dh;
          s2 += dh * static_cast<double>(h[j]);
        }
        const double m1 = s1 / n, m2 = s2 / n, is = static_cast<double>(b.invstd[r]);
        for (size_t j = 0; j < cols; ++j) {
          const double dh = static_cast<double>(d[j] * b.gamma[j]);
          dx[j] = static_cast<float>(is * ((dh - m1) - static_cast<double>(h[j]) * m2));
        }
      }
    });
  }
  if (!b.dgamma && !b.dbeta) return;
  parallel_for(pool, cols, kBlock, rows * 2, [&](size_t b0, size_t b1) {
    for (size_t c0 = b0; c0 < b1; c0 += kBlock) {
      const size_t c1 = c0 + kBlock < b1 ? c0 + kBlock : b1, w = c1 - c0;
      double sdg[kBlock], sdb[kBlock];
      param_sums(rows, cols, c0, c1, b.dy, b.xhat, sdg, sdb);
      if (b.dgamma)
        for (size_t j = 0; j < w; ++j) store(b.dgamma, c0 + j, sdg[j], b.accumulate);
      if (b.dbeta)
        for (size_t j = 0; j < w; ++j) store(b.dbeta, c0 + j, sdb[j], b.accumulate);
    }
  });
}

namespace {

// hv (+)= Σ_r (rg·x̂ + g·R{x̂}) and Σ_r rg for columns [c0, c1) (double sums in row order).
void r_param_sums(const NormR& p, size_t c0, size_t c1) {
  const size_t w = c1 - c0, cols = p.cols;
  double a[kBlock] = {}, b[kBlock] = {};
  for (size_t r = 0; r < p.rows; ++r) {
    const size_t o = r * cols + c0;
    for (size_t j = 0; j < w; ++j) {
      a[j] += static_cast<double>(p.rg[o + j]) * p.xhat[o + j] + static_cast<double>(p.g[o + j]) * p.rxhat[o + j];
      b[j] += static_cast<double>(p.rg[o + j]);
    }
  }
  for (size_t j = 0; j < w; ++j) {
    if (p.hv_gamma) p.hv_gamma[c0 + j] += static_cast<float>(a[j]);
    if (p.hv_beta) p.hv_beta[c0 + j] += static_cast<float>(b[j]);
  }
}

inline double vg(const NormR& p, size_t j) { return p.vgamma ? static_cast<double>(p.vgamma[j]) : 0.0; }
inline double vb(const NormR& p, size_t j) { return p.vbeta ? static_cast<double>(p.vbeta[j]) : 0.0; }

}  // namespace

void batchnorm_rforward(runtime::ThreadPool* pool, const NormR& p) {
  const size_t rows = p.rows, cols = p.cols;
  parallel_for(pool, cols, kBlock, rows * 4, [&](size_t b0, size_t b1) {
    for (size_t c0 = b0; c0 < b1; c0 += kBlock) {
      const size_t c1 = c0 + kBlock < b1 ? c0 + kBlock : b1, w = c1 - c0;
      double m1[kBlock] = {}, m2[kBlock] = {};
      if (p.training) {
        for (size_t r = 0; r < rows; ++r) {
          const size_t o = r * cols + c0;
          for (size_t j = 0; j < w; ++j) {
            m1[j] += static_cast<double>(p.rx[o + j]);
            m2[j] += static_cast<double>(p.xhat[o + j]) * p.rx[o + j];
          }
        }
        for (size_t j = 0; j < w; ++j) m1[j] /= static_cast<double>(rows), m2[j] /= static_cast<double>(rows);
      }
      for (size_t j = 0; j < w; ++j) {
        const double sj = p.invstd[c0 + j];
        p.rs[c0 + j] = -sj * sj * m2[j];
      }
      for (size_t r = 0; r < rows; ++r) {
        const size_t o = r * cols + c0;
        for (size_t j = 0; j < w; ++j) {
          const double xh = p.xhat[o + j];
          const double h = static_cast<double>(p.invstd[c0 + j]) * ((p.rx[o + j] - m1[j]) - xh * m2[j]);
          p.rxhat[o + j] = static_cast<float>(h);
          p.rout[o + j] = static_cast<float>(static_cast<double>(p.gamma[c0 + j]) * h + vg(p, c0 + j) * xh + vb(p, c0 + j));
        }
      }
    }
  });
}

void batchnorm_rbackward(runtime::ThreadPool* pool, const NormR& p) {
  const size_t rows = p.rows, cols = p.cols;
  parallel_for(pool, cols, kBlock, rows * 8, [&](size_t b0, size_t b1) {
    for (size_t c0 = b0; c0 < b1; c0 += kBlock) {
      const size_t c1 = c0 + kBlock < b1 ? c0 + kBlock : b1, w = c1 - c0;
      r_param_sums(p, c0, c1);
      if (!p.dx || !p.rdx) continue;
      // Column sums: A = Σ(rg·x̂ + g·R{x̂}), B = Σ rg, C = Σ g, D = Σ g·x̂.
      double A[kBlock] = {}, B[kBlock] = {}, C[kBlock] = {}, D[kBlock] = {};
      for (size_t r = 0; r < rows; ++r) {
        const size_t o = r * cols + c0;
        for (size_t j = 0; j < w; ++j) {
          const double g = p.g[o + j], rg = p.rg[o + j], xh = p.xhat[o + j];
          A[j] += rg * xh + g * p.rxhat[o + j];
          B[j] += rg;
          C[j] += g;
          D[j] += g * xh;
        }
      }
      const double c = p.training ? 1.0 / static_cast<double>(rows) : 0.0;
      for (size_t r = 0; r < rows; ++r) {
        const size_t o = r * cols + c0;
        for (size_t j = 0; j < w; ++j) {
          const double gamma = p.gamma[c0 + j], s = p.invstd[c0 + j];
          const double g = p.g[o + j], rg = p.rg[o + j], xh = p.xhat[o + j];
          const double mgx = D[j] * c;
          const double h = g - C[j] * c - xh * mgx;
          const double rh = rg - B[j] * c - p.rxhat[o + j] * mgx - xh * (A[j] * c);
          p.dx[o + j] = static_cast<float>(gamma * s * h);
          p.rdx[o + j] = static_cast<float>((vg(p, c0 + j) * s + gamma * p.rs[c0 + j]) * h + gamma * s * rh);
        }
      }
    }
  });
}

void layernorm_rforward(runtime::ThreadPool* pool, const NormR& p) {
  const size_t cols = p.cols;
  parallel_for(pool, p.rows, 1, cols * 4, [&](size_t r0, size_t r1) {
    const double n = static_cast<double>(cols);
    for (size_t r = r0; r < r1; ++r) {
      const size_t o = r * cols;
      double m1 = 0.0, m2 = 0.0;
      for (size_t j = 0; j < cols; ++j) {
        m1 += static_cast<double>(p.rx[o + j]);
        m2 += static_cast<double>(p.xhat[o + j]) * p.rx[o + j];
      }
      m1 /= n;
      m2 /= n;
      const double s = p.invstd[r];
      p.rs[r] = -s * s * m2;
      for (size_t j = 0; j < cols; ++j) {
        const double xh = p.xhat[o + j];
        const double h = s * ((p.rx[o + j] - m1) - xh * m2);
        p.rxhat[o + j] = static_cast<float>(h);
        p.rout[o + j] = static_cast<float>(static_cast<double>(p.gamma[j]) * h + vg(p, j) * xh + vb(p, j));
      }
    }
  });
}

void layernorm_rbackward(runtime::ThreadPool* pool, const NormR& p) {
  const size_t rows = p.rows, cols = p.cols;
  if (p.dx && p.rdx) {
    parallel_for(pool, rows, 1, cols * 8, [&](size_t r0, size_t r1) {
      const double n = static_cast<double>(cols);
      for (size_t r = r0; r < r1; ++r) {
        const size_t o = r * cols;
        double a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0;
        for (size_t j = 0; j < cols; ++j) {
          const double gamma = p.gamma[j], g = p.g[o + j], xh = p.xhat[o + j];
          const double gh = g * gamma, rgh = p.rg[o + j] * gamma + g * vg(p, j);
          a1 += gh;
          a2 += gh * xh;
          b1 += rgh;
          b2 += rgh * xh + gh * p.rxhat[o + j];
        }
        a1 /= n, a2 /= n, b1 /= n, b2 /= n;
        const double s = p.invstd[r];
        for (size_t j = 0; j < cols; ++j) {
          const double gamma = p.gamma[j], g = p.g[o + j], xh = p.xhat[o + j];
          const double gh = g * gamma, rgh = p.rg[o + j] * gamma + g * vg(p, j);
          const double h = gh - a1 - xh * a2;
          const double rh = rgh - b1 - p.rxhat[o + j] * a2 - xh * b2;
          p.dx[o + j] = static_cast<float>(s * h);
          p.rdx[o + j] = static_cast<float>(p.rs[r] * h + s * rh);
        }
      }
    });
  }
  if (!p.hv_gamma && !p.hv_beta) return;
  parallel_for(pool, cols, kBlock, rows * 2, [&](size_t b0, size_t b1) {
    for (size_t c0 = b0; c0 < b1; c0 += kBlock) r_param_sums(p, c0, c0 + kBlock < b1 ? c0 + kBlock : b1);
  });
}

}  // namespace dh::kernels
