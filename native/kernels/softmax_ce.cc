#include "kernels/softmax_ce.h"

#include <cmath>

namespace dh::kernels {
namespace {

float row_max(const float* z, size_t n) {
  float mx = z[0];
  for (size_t j = 1; j < n; ++j) mx = z[j] > mx ? z[j] : mx;
  return mx;
}

size_t argmax(const float* z, size_t n) {
  size_t best = 0;
  for (size_t j = 1; j < n; ++j) {
    if (z[j] > z[best]) best = j;
  }
  return best;
}

}  // namespace

void softmax_ce_rows(size_t r0, size_t r1, size_t classes, const float* z_all, const CeTargets& t,
                     const CeOut& o) {
  for (size_t r = r0; r < r1; ++r) {
    const float* z = z_all + r * classes;
    const size_t tr = t.rows ? static_cast<size_t>(t.rows[r]) : r;
    const float* trow = t.probs ? t.probs + tr * classes : nullptr;
    const size_t label = t.labels ? static_cast<size_t>(t.labels[tr]) : 0;

    const float mx = row_max(z, classes);
    float s = 0.0f;
    for (size_t j = 0; j < classes; ++j) s += std::exp(z[j] - mx);
    const float logs = std::log(s);

    float loss, tsum = 1.0f;
    size_t target_class = label;
    if (trow) {
      loss = 0.0f;
      tsum = 0.0f;
      for (size_t j = 0; j < classes; ++j) {
        loss += trow[j] * ((mx - z[j]) + logs);
        tsum += trow[j];
      }
      target_class = argmax(trow, classes);
    } else {
      loss = (mx - z[label]) + logs;
    }
    if (o.row_loss) o.row_loss[r] = loss;

    size_t pred = o.argmax_on_probs ? 0 : argmax(z, classes);
    float best_p = 0.0f;
    float* p = o.probs ? o.probs + r * classes : nullptr;
    float* dz = o.dz ? o.dz + r * classes : nullptr;
    for (size_t j = 0; j < classes; ++j) {
      const float pj = std::exp(z[j] - mx) / s;  // before p[j] may overwrite z[j]
      if (o.argmax_on_probs && (j == 0 || pj > best_p)) {
        best_p = pj;
        pred = j;
      }
      if (dz) {
        const float tj = trow ? trow[j] : (j == label ? 1.0f : 0.0f);
        dz[j] = (pj * tsum - tj) / o.grad_den;
      }
      if (p) p[j] = pj;
    }
    if (o.row_correct) o.row_correct[r] = pred == target_class ? 1 : 0;
  }
}

void softmax_rows(size_t r0, size_t r1, size_t classes, float* z_all) {
  for (size_t r = r0; r < r1; ++r) {
    float* z = z_all + r * classes;
    const float mx = row_max(z, classes);
    float s = 0.0f;
    for (size_t j = 0; j < classes; ++j) s += std::exp(z[j] - mx);
    for (size_t j = 0; j < classes; ++j) z[j] = std::exp(z[j] - mx) / s;
  }
}

}  // namespace dh::kernels
