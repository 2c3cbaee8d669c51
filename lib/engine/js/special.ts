/**
 * erf and erfc in float64: W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
 * approximations for the error function", Math. Comp. 23 (1969); Netlib specfun CALERF), about
 * 1e-16 relative error over the whole line, erfc accurate in its tail down to underflow. The
 * exact gelu needs this: a 1e-7 approximation would break float64 gradient checks.
 */

const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.952221241769090,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
const P = [0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978];
const Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 2.33520497626869185e-3];
/** 1/√π. */
const SQRPI = 0.56418958354775628695;
const THRESH = 0.46875;
const XSMALL = 1.11e-16;
/** erfc(x) underflows to 0 beyond this. */
const XBIG = 26.543;

/** erf(x) for |x| ≤ 0.46875. */
function erfSmall(x: number): number {
  const y = Math.abs(x);
  const ysq = y > XSMALL ? y * y : 0;
  let xnum = A[4] * ysq;
  let xden = ysq;
  for (let i = 0; i < 3; i++) {
    xnum = (xnum + A[i]) * ysq;
    xden = (xden + B[i]) * ysq;
  }
  return (x * (xnum + A[3])) / (xden + B[3]);
}

/** erfc(y) for y > 0.46875 (y ≥ 0). */
function erfcPositive(y: number): number {
  if (y >= XBIG) return 0;
  let result: number;
  if (y <= 4) {
    let xnum = C[8] * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + C[i]) * y;
      xden = (xden + D[i]) * y;
    }
    result = (xnum + C[7]) / (xden + D[7]);
  } else {
    const ysq = 1 / (y * y);
    let xnum = P[5] * ysq;
    let xden = ysq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + P[i]) * ysq;
      xden = (xden + Q[i]) * ysq;
    }
    result = (ysq * (xnum + P[4])) / (xden + Q[4]);
    result = (SQRPI - result) / y;
  }
  // exp(−y²) split as exp(−s²)·exp(−(y − s)(y + s)) with s = y rounded down to 1/16, to keep
  // the rounding error of y² out of the exponent.
  const s = Math.trunc(y * 16) / 16;
  const del = (y - s) * (y + s);
  return Math.exp(-s * s) * Math.exp(-del) * result;
}

/** The error function, float64, ~1e-16 relative error. NaN propagates; erf(±∞) = ±1. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) return erfSmall(x);
  if (!(y === y)) return x;
  const r = 0.5 - erfcPositive(y) + 0.5;
  return x < 0 ? -r : r;
}

/** The complementary error function 1 − erf(x), float64, accurate in the tail (no cancellation). */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESH) return 1 - erfSmall(x);
  if (!(y === y)) return x;
  const r = erfcPositive(y);
  return x < 0 ? 2 - r : r;
}
