// Uniform bits to normal and truncated-normal values. docs/stream.md sections 5-7.
//
// Every function here is a fixed sequence of IEEE operations, written out in the order the
// spec gives, with no platform libm: the same bits on the CPU (scalar or SIMD), on CUDA and
// in the Numba backend. Build with -ffp-contract=off (nvcc: --fmad=false).
//
// Valid ranges and error bounds (measured against float64/SciPy references, tests/test_stream.py):
//   log(x):      positive normal x; a few ulp.
//   sincos(phi): |phi| <= pi/4; truncation < 2e-9 (float), < 1e-19 (double) plus rounding.
//   ndtri:       centre |q| <= 0.425, tail log(p) <= log(0.075); relative error < 3e-7 (float,
//                AS 241 PPND7), < 1e-15 (double, PPND16); far tail (p < e^-729) < 1e-7 / 1e-12.
#pragma once
#include <cmath>

#include "config.h"
#include "uniform.h"

namespace fastinit {

FASTINIT_HD float fi_sqrt(float x) {
#if FASTINIT_DEVICE
  return __fsqrt_rn(x);
#else
  return std::sqrt(x);
#endif
}

FASTINIT_HD double fi_sqrt(double x) {
#if FASTINIT_DEVICE
  return __dsqrt_rn(x);
#else
  return std::sqrt(x);
#endif
}

// ---------------------------------------------------------------------------------------------
// log(x) = e ln2 + 2 atanh((m - 1) / (m + 1)), m in [sqrt(1/2), sqrt(2)).

FASTINIT_HD float fi_log(float x) {
  const uint32_t ix = bits_of(x) + (0x3f800000u - 0x3f3504f3u);
  const float e = static_cast<float>(static_cast<int32_t>(ix >> 23) - 127);
  const float m = float_of((ix & 0x007fffffu) + 0x3f3504f3u);
  const float f = m - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  float p = 2.0f / 11.0f;
  p = p * z + 2.0f / 9.0f;
  p = p * z + 2.0f / 7.0f;
  p = p * z + 2.0f / 5.0f;
  p = p * z + 2.0f / 3.0f;
  const float lm = s * (2.0f + z * p);
  return e * 0.693359375f + (e * static_cast<float>(0.69314718055994530942 - 0.693359375) + lm);
}

FASTINIT_HD double fi_log(double x) {
  const uint64_t ix = bits_of(x) + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
  const double e = static_cast<double>(static_cast<int64_t>(ix >> 52) - 1023);
  const double m = double_of((ix & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double p = 2.0 / 21.0;
  p = p * z + 2.0 / 19.0;
  p = p * z + 2.0 / 17.0;
  p = p * z + 2.0 / 15.0;
  p = p * z + 2.0 / 13.0;
  p = p * z + 2.0 / 11.0;
  p = p * z + 2.0 / 9.0;
  p = p * z + 2.0 / 7.0;
  p = p * z + 2.0 / 5.0;
  p = p * z + 2.0 / 3.0;
  const double lm = s * (2.0 + z * p);
  return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + lm);
}

// ---------------------------------------------------------------------------------------------
// sin and cos for |phi| <= pi/4: Taylor polynomials in z = phi^2.

FASTINIT_HD void fi_sincos(float phi, float& s, float& c) {
  const float z = phi * phi;
  float ps = 1.0f / 362880.0f;
  ps = ps * z + -1.0f / 5040.0f;
  ps = ps * z + 1.0f / 120.0f;
  ps = ps * z + -1.0f / 6.0f;
  s = phi + phi * (z * ps);
  float pc = -1.0f / 3628800.0f;
  pc = pc * z + 1.0f / 40320.0f;
  pc = pc * z + -1.0f / 720.0f;
  pc = pc * z + 1.0f / 24.0f;
  pc = pc * z + -1.0f / 2.0f;
  c = 1.0f + z * pc;
}

FASTINIT_HD void fi_sincos(double phi, double& s, double& c) {
  const double z = phi * phi;
  double ps = 1.0 / 355687428096000.0;  // 1/17!
  ps = ps * z + -1.0 / 1307674368000.0;  // 15!
  ps = ps * z + 1.0 / 6227020800.0;      // 13!
  ps = ps * z + -1.0 / 39916800.0;       // 11!
  ps = ps * z + 1.0 / 362880.0;
  ps = ps * z + -1.0 / 5040.0;
  ps = ps * z + 1.0 / 120.0;
  ps = ps * z + -1.0 / 6.0;
  s = phi + phi * (z * ps);
  double pc = 1.0 / 20922789888000.0;  // 1/16!
  pc = pc * z + -1.0 / 87178291200.0;   // 14!
  pc = pc * z + 1.0 / 479001600.0;      // 12!
  pc = pc * z + -1.0 / 3628800.0;
  pc = pc * z + 1.0 / 40320.0;
  pc = pc * z + -1.0 / 720.0;
  pc = pc * z + 1.0 / 24.0;
  pc = pc * z + -1.0 / 2.0;
  c = 1.0 + z * pc;
}

// ---------------------------------------------------------------------------------------------
// Box-Muller. One pair of standard normals from the pair's words (section 5).

template <class T>
FASTINIT_HD void rotate_by_quadrant(uint32_t q, T s, T c, T& C, T& S) {
  switch (q) {
    case 0: C = c; S = s; break;
    case 1: C = -s; S = c; break;
    case 2: C = -c; S = -s; break;
    default: C = s; S = -c; break;
  }
}

FASTINIT_HD void normal_pair(uint32_t w1, uint32_t w2, float& z0, float& z1) {
  const float u1 = (static_cast<float>(static_cast<int32_t>(w1 >> 1)) + 0.5f) * 0x1p-31f;
  const float r = fi_sqrt(-2.0f * fi_log(u1));
  const float f = static_cast<float>(static_cast<int32_t>((w2 >> 6) & 0xffffffu)) * 0x1p-24f - 0.5f;
  const float phi = f * static_cast<float>(1.5707963267948966);
  float s, c, C, S;
  fi_sincos(phi, s, c);
  rotate_by_quadrant(w2 >> 30, s, c, C, S);
  z0 = r * C;
  z1 = r * S;
}

FASTINIT_HD void normal_pair(uint64_t a, uint64_t b, double& z0, double& z1) {
  const double u1 = (static_cast<double>(static_cast<int64_t>(a >> 11)) + 0.5) * 0x1p-53;
  const double r = fi_sqrt(-2.0 * fi_log(u1));
  const double f =
      static_cast<double>(static_cast<int64_t>((b >> 9) & 0x1fffffffffffffull)) * 0x1p-53 - 0.5;
  const double phi = f * 1.5707963267948966;
  double s, c, C, S;
  fi_sincos(phi, s, c);
  rotate_by_quadrant(static_cast<uint32_t>(b >> 62), s, c, C, S);
  z0 = r * C;
  z1 = r * S;
}

// ---------------------------------------------------------------------------------------------
// Inverse standard normal CDF (Wichura, AS 241). Coefficients are AS 241's published values.

FASTINIT_HD float ndtri_centre(float q) {
  const float r = static_cast<float>(0.180625) - q * q;
  float a = static_cast<float>(5.9109374720e+01);
  a = a * r + static_cast<float>(1.5929113202e+02);
  a = a * r + static_cast<float>(5.0434271938e+01);
  a = a * r + static_cast<float>(3.3871327179e+00);
  float b = static_cast<float>(6.7187563600e+01);
  b = b * r + static_cast<float>(7.8757757664e+01);
  b = b * r + static_cast<float>(1.7895169469e+01);
  b = b * r + 1.0f;
  return (q * a) / b;
}

FASTINIT_HD double ndtri_centre(double q) {
  const double r = 0.180625 - q * q;
  double a = 2.5090809287301226727e+03;
  a = a * r + 3.3430575583588128105e+04;
  a = a * r + 6.7265770927008700853e+04;
  a = a * r + 4.5921953931549871457e+04;
  a = a * r + 1.3731693765509461125e+04;
  a = a * r + 1.9715909503065514427e+03;
  a = a * r + 1.3314166789178437745e+02;
  a = a * r + 3.3871328727963666080e+00;
  double b = 5.2264952788528545610e+03;
  b = b * r + 2.8729085735721942674e+04;
  b = b * r + 3.9307895800092710610e+04;
  b = b * r + 2.1213794301586595867e+04;
  b = b * r + 5.3941960214247511077e+03;
  b = b * r + 6.8718700749205790830e+02;
  b = b * r + 4.2313330701600911252e+01;
  b = b * r + 1.0;
  return (q * a) / b;
}

// Far tail, t = sqrt(-L) > 27: solve the asymptotic expansion of log Phi(-x) for x > 0.
template <class T>
FASTINIT_HD T ndtri_far_tail(T L) {
  const T y = T(-2) * L;
  T v = y;
  for (int it = 0; it < 3; ++it) {
    const T g = T(1) / v;
    const T c = T(1) - g * (T(1) - g * (T(3) - g * T(15)));
    v = (y - fi_log(static_cast<T>(6.283185307179586) * v)) + T(2) * fi_log(c);
  }
  return fi_sqrt(v);
}

// Phi^{-1}(p) for p = exp(L) < 0.075; returns a negative value.
FASTINIT_HD float ndtri_tail(float L) {
  const float t = fi_sqrt(-L);
  float x;
  if (t <= 5.0f) {
    const float r = t - static_cast<float>(1.6);
    float a = static_cast<float>(1.7023821103e-01);
    a = a * r + static_cast<float>(1.3067284816e+00);
    a = a * r + static_cast<float>(2.7568153900e+00);
    a = a * r + static_cast<float>(1.4234372777e+00);
    float b = static_cast<float>(1.2021132975e-01);
    b = b * r + static_cast<float>(7.3700164250e-01);
    b = b * r + 1.0f;
    x = a / b;
  } else if (t <= 27.0f) {
    const float r = t - 5.0f;
    float a = static_cast<float>(1.7337203997e-02);
    a = a * r + static_cast<float>(4.2868294337e-01);
    a = a * r + static_cast<float>(3.0812263860e+00);
    a = a * r + static_cast<float>(6.6579051150e+00);
    float b = static_cast<float>(1.2258202635e-02);
    b = b * r + static_cast<float>(2.4197894225e-01);
    b = b * r + 1.0f;
    x = a / b;
  } else {
    x = ndtri_far_tail(L);
  }
  return -x;
}

FASTINIT_HD double ndtri_tail(double L) {
  const double t = fi_sqrt(-L);
  double x;
  if (t <= 5.0) {
    const double r = t - 1.6;
    double a = 7.74545014278341407640e-04;
    a = a * r + 2.27238449892691845833e-02;
    a = a * r + 2.41780725177450611770e-01;
    a = a * r + 1.27045825245236838258e+00;
    a = a * r + 3.64784832476320460504e+00;
    a = a * r + 5.76949722146069140550e+00;
    a = a * r + 4.63033784615654529590e+00;
    a = a * r + 1.42343711074968357734e+00;
    double b = 1.05075007164441684324e-09;
    b = b * r + 5.47593808499534494600e-04;
    b = b * r + 1.51986665636164571966e-02;
    b = b * r + 1.48103976427480074590e-01;
    b = b * r + 6.89767334985100004550e-01;
    b = b * r + 1.67638483018380384940e+00;
    b = b * r + 2.05319162663775882187e+00;
    b = b * r + 1.0;
    x = a / b;
  } else if (t <= 27.0) {
    const double r = t - 5.0;
    double a = 2.01033439929228813265e-07;
    a = a * r + 2.71155556874348757815e-05;
    a = a * r + 1.24266094738807843860e-03;
    a = a * r + 2.65321895265761230930e-02;
    a = a * r + 2.96560571828504891230e-01;
    a = a * r + 1.78482653991729133580e+00;
    a = a * r + 5.46378491116411436990e+00;
    a = a * r + 6.65790464350110377720e+00;
    double b = 2.04426310338993978564e-15;
    b = b * r + 1.42151175831644588870e-07;
    b = b * r + 1.84631831751005468180e-05;
    b = b * r + 7.86869131145613259100e-04;
    b = b * r + 1.48753612908506148525e-02;
    b = b * r + 1.36929880922735805310e-01;
    b = b * r + 5.99832206555887937690e-01;
    b = b * r + 1.0;
    x = a / b;
  } else {
    x = ndtri_far_tail(L);
  }
  return -x;
}

// ---------------------------------------------------------------------------------------------
// Truncated normal (section 7). The constants come from fastinit/_params.py.

template <class T>
struct trunc_branch {
  T base, centre, th, dd, ld, tau, dir, sgn;
};

template <class T>
struct trunc_params {
  T alpha, beta, mean, std, lo, hi;
  trunc_branch<T> br[2];
};

template <class T>
FASTINIT_HD T clamp_to(T x, T lo, T hi) {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

template <class T>
FASTINIT_HD T trunc_normal_from_half_unit(T up, const trunc_branch<T>& b, const trunc_params<T>& p) {
  const T v = b.base + up * b.dd;
  T z;
  if (v < b.th) {
    const T L = b.ld + fi_log(b.tau + b.dir * up);
    z = b.sgn * ndtri_tail(L);
  } else {
    z = b.sgn * ndtri_centre(v - b.centre);
  }
  z = clamp_to(z, p.alpha, p.beta);
  return clamp_to(p.mean + p.std * z, p.lo, p.hi);
}

FASTINIT_HD float trunc_normal_value(uint32_t w, const trunc_params<float>& p) {
  const float up = (static_cast<float>(static_cast<int32_t>(w & 0x7fffffffu)) + 0.5f) * 0x1p-32f;
  return trunc_normal_from_half_unit(up, p.br[w >> 31], p);
}

FASTINIT_HD double trunc_normal_value(uint64_t w, const trunc_params<double>& p) {
  const double up =
      (static_cast<double>(static_cast<int64_t>((w & 0x7fffffffffffffffull) >> 10)) + 0.5) * 0x1p-54;
  return trunc_normal_from_half_unit(up, p.br[w >> 63], p);
}

}  // namespace fastinit
