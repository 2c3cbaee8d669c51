/** Principal component projection of row-major data (n × d) onto its top k components. */

/**
 * Centres the rows, builds the d × d covariance in float64 and finds its top k eigenvectors
 * by power iteration with deflation (k is small: 2 for a scatter plot). Returns n × k
 * coordinates and the share of variance each component explains.
 */
export function pca(x: Float32Array, d: number, k = 2): { coords: Float64Array; explained: number[] } {
  const n = x.length / d;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j] / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = x[r * d + j] - mean[j];
    for (let i = 0; i < d; i++) {
      const v = row[i];
      if (v === 0) continue;
      for (let j = i; j < d; j++) cov[i * d + j] += v * row[j];
    }
  }
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) cov[j * d + i] = cov[i * d + j] /= Math.max(1, n - 1);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov[i * d + i];
  const components: Float64Array[] = [];
  const explained: number[] = [];
  for (let c = 0; c < Math.min(k, d); c++) {
    // Deterministic start, re-orthogonalised against earlier components every iteration.
    let v = Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919 + c * 104729) % 97) / 97);
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += cov[i * d + j] * v[j];
        w[i] = s;
      }
      for (const u of components) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += w[i] * u[i];
        for (let i = 0; i < d; i++) w[i] -= dot * u[i];
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      for (let i = 0; i < d; i++) w[i] /= norm;
      const delta = Math.abs(norm - lambda);
      v = w;
      lambda = norm;
      if (delta <= 1e-12 * Math.max(1, lambda)) break;
    }
    components.push(v);
    explained.push(trace > 0 ? lambda / trace : 0);
  }
  const coords = new Float64Array(n * components.length);
  for (let r = 0; r < n; r++) {
    components.forEach((u, c) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[r * d + j] - mean[j]) * u[j];
      coords[r * components.length + c] = s;
    });
  }
  return { coords, explained };
}
