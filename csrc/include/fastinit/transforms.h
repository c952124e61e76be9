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
#include <type_traits>

#include "config.h"
#include "lanes.h"
#include "uniform.h"

namespace fastinit {

// Selects spelled so that they work on one value and on a vector alike.
template <class F, class M>
FASTINIT_HD F select(M m, F a, F b) {
  return m ? a : b;
}

template <class F>
using if_single = typename std::enable_if<lane<F>::kSingle, int>::type;
template <class F>
using if_double = typename std::enable_if<!lane<F>::kSingle, int>::type;

// ---------------------------------------------------------------------------------------------
// log(x) = e ln2 + 2 atanh((m - 1) / (m + 1)), m in [sqrt(1/2), sqrt(2)).

template <class F, if_single<F> = 0>
FASTINIT_HD F fi_log(F x) {
  using L = lane<F>;
  using U = typename L::U;
  const U ix = L::to_bits(x) + (0x3f800000u - 0x3f3504f3u);
  const F e = L::cvt(L::to_signed(ix >> 23) - 127);
  const F m = L::from_bits((ix & 0x007fffffu) + 0x3f3504f3u);
  const F f = m - 1.0f;
  const F s = f / (2.0f + f);
  const F z = s * s;
  F p = L::splat(2.0f / 11.0f);
  p = p * z + 2.0f / 9.0f;
  p = p * z + 2.0f / 7.0f;
  p = p * z + 2.0f / 5.0f;
  p = p * z + 2.0f / 3.0f;
  const F lm = s * (2.0f + z * p);
  return e * 0.693359375f + (e * static_cast<float>(0.69314718055994530942 - 0.693359375) + lm);
}

template <class F, if_double<F> = 0>
FASTINIT_HD F fi_log(F x) {
  using L = lane<F>;
  using U = typename L::U;
  const U ix = L::to_bits(x) + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
  const F e = L::cvt(L::to_signed(ix >> 52) - 1023);
  const F m = L::from_bits((ix & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
  const F f = m - 1.0;
  const F s = f / (2.0 + f);
  const F z = s * s;
  F p = L::splat(2.0 / 21.0);
  p = p * z + 2.0 / 19.0;
  p = p * z + 2.0 / 17.0;
  p = p * z + 2.0 / 15.0;
  p = p * z + 2.0 / 13.0;
  p = p * z + 2.0 / 11.0;
  p = p * z + 2.0 / 9.0;
  p = p * z + 2.0 / 7.0;
  p = p * z + 2.0 / 5.0;
  p = p * z + 2.0 / 3.0;
  const F lm = s * (2.0 + z * p);
  return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + lm);
}

// ---------------------------------------------------------------------------------------------
// sin and cos for |phi| <= pi/4: Taylor polynomials in z = phi^2.

template <class F, if_single<F> = 0>
FASTINIT_HD void fi_sincos(F phi, F& s, F& c) {
  using L = lane<F>;
  const F z = phi * phi;
  F ps = L::splat(1.0f / 362880.0f);
  ps = ps * z + -1.0f / 5040.0f;
  ps = ps * z + 1.0f / 120.0f;
  ps = ps * z + -1.0f / 6.0f;
  s = phi + phi * (z * ps);
  F pc = L::splat(-1.0f / 3628800.0f);
  pc = pc * z + 1.0f / 40320.0f;
  pc = pc * z + -1.0f / 720.0f;
  pc = pc * z + 1.0f / 24.0f;
  pc = pc * z + -1.0f / 2.0f;
  c = 1.0f + z * pc;
}

template <class F, if_double<F> = 0>
FASTINIT_HD void fi_sincos(F phi, F& s, F& c) {
  using L = lane<F>;
  const F z = phi * phi;
  F ps = L::splat(1.0 / 355687428096000.0);  // 1/17!
  ps = ps * z + -1.0 / 1307674368000.0;       // 15!
  ps = ps * z + 1.0 / 6227020800.0;           // 13!
  ps = ps * z + -1.0 / 39916800.0;            // 11!
  ps = ps * z + 1.0 / 362880.0;
  ps = ps * z + -1.0 / 5040.0;
  ps = ps * z + 1.0 / 120.0;
  ps = ps * z + -1.0 / 6.0;
  s = phi + phi * (z * ps);
  F pc = L::splat(1.0 / 20922789888000.0);  // 1/16!
  pc = pc * z + -1.0 / 87178291200.0;        // 14!
  pc = pc * z + 1.0 / 479001600.0;           // 12!
  pc = pc * z + -1.0 / 3628800.0;
  pc = pc * z + 1.0 / 40320.0;
  pc = pc * z + -1.0 / 720.0;
  pc = pc * z + 1.0 / 24.0;
  pc = pc * z + -1.0 / 2.0;
  c = 1.0 + z * pc;
}

// ---------------------------------------------------------------------------------------------
// Box-Muller. One pair of standard normals from the pair's words (section 5).

// (C, S) = (cos, sin) of q * pi/2 + phi from (s, c) of phi: swap for odd q, then signs.
template <class F, class U>
FASTINIT_HD void rotate_by_quadrant(U q, F s, F c, F& C, F& S) {
  const U odd = q & 1u;
  const U neg_c = (q ^ (q >> 1)) & 1u;
  const U neg_s = q >> 1;
  const F c0 = select(odd, s, c);
  const F s0 = select(odd, c, s);
  C = select(neg_c, -c0, c0);
  S = select(neg_s, -s0, s0);
}

template <class F, if_single<F> = 0>
FASTINIT_HD void normal_pair(lane_u<F> w1, lane_u<F> w2, F& z0, F& z1) {
  using L = lane<F>;
  const F u1 = (L::cvt(L::to_signed(w1 >> 1)) + 0.5f) * 0x1p-31f;
  const F r = L::sqrt(-2.0f * fi_log(u1));
  const F f = L::cvt(L::to_signed((w2 >> 6) & 0xffffffu)) * 0x1p-24f - 0.5f;
  const F phi = f * static_cast<float>(1.5707963267948966);
  F s, c, C, S;
  fi_sincos(phi, s, c);
  rotate_by_quadrant(w2 >> 30, s, c, C, S);
  z0 = r * C;
  z1 = r * S;
}

template <class F, if_double<F> = 0>
FASTINIT_HD void normal_pair(lane_u<F> a, lane_u<F> b, F& z0, F& z1) {
  using L = lane<F>;
  const F u1 = (L::cvt(L::to_signed(a >> 11)) + 0.5) * 0x1p-53;
  const F r = L::sqrt(-2.0 * fi_log(u1));
  const F f = L::cvt(L::to_signed((b >> 9) & 0x1fffffffffffffull)) * 0x1p-53 - 0.5;
  const F phi = f * 1.5707963267948966;
  F s, c, C, S;
  fi_sincos(phi, s, c);
  rotate_by_quadrant(b >> 62, s, c, C, S);
  z0 = r * C;
  z1 = r * S;
}

// ---------------------------------------------------------------------------------------------
// Inverse standard normal CDF (Wichura, AS 241). Coefficients are AS 241's published values.

template <class F, if_single<F> = 0>
FASTINIT_HD F ndtri_centre(F q) {
  using L = lane<F>;
  const F r = static_cast<float>(0.180625) - q * q;
  F a = L::splat(static_cast<float>(5.9109374720e+01));
  a = a * r + static_cast<float>(1.5929113202e+02);
  a = a * r + static_cast<float>(5.0434271938e+01);
  a = a * r + static_cast<float>(3.3871327179e+00);
  F b = L::splat(static_cast<float>(6.7187563600e+01));
  b = b * r + static_cast<float>(7.8757757664e+01);
  b = b * r + static_cast<float>(1.7895169469e+01);
  b = b * r + 1.0f;
  return (q * a) / b;
}

template <class F, if_double<F> = 0>
FASTINIT_HD F ndtri_centre(F q) {
  using L = lane<F>;
  const F r = 0.180625 - q * q;
  F a = L::splat(2.5090809287301226727e+03);
  a = a * r + 3.3430575583588128105e+04;
  a = a * r + 6.7265770927008700853e+04;
  a = a * r + 4.5921953931549871457e+04;
  a = a * r + 1.3731693765509461125e+04;
  a = a * r + 1.9715909503065514427e+03;
  a = a * r + 1.3314166789178437745e+02;
  a = a * r + 3.3871328727963666080e+00;
  F b = L::splat(5.2264952788528545610e+03);
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
template <class F>
FASTINIT_HD F ndtri_far_tail(F L) {
  using S = typename lane<F>::S;
  const F y = S(-2) * L;
  F v = y;
  for (int it = 0; it < 3; ++it) {
    const F g = S(1) / v;
    const F c = S(1) - g * (S(1) - g * (S(3) - g * S(15)));
    v = (y - fi_log(static_cast<S>(6.283185307179586) * v)) + S(2) * fi_log(c);
  }
  return lane<F>::sqrt(v);
}

// Phi^{-1}(p) for p = exp(L) < 0.075; returns a negative value. Lanes of both rational pieces
// are computed and selected; the far tail only when a lane needs it (same values either way).
template <class F, if_single<F> = 0>
FASTINIT_HD F ndtri_tail(F Lg) {
  using L = lane<F>;
  const F t = L::sqrt(-Lg);
  const F r = t - static_cast<float>(1.6);
  F a = L::splat(static_cast<float>(1.7023821103e-01));
  a = a * r + static_cast<float>(1.3067284816e+00);
  a = a * r + static_cast<float>(2.7568153900e+00);
  a = a * r + static_cast<float>(1.4234372777e+00);
  F b = L::splat(static_cast<float>(1.2021132975e-01));
  b = b * r + static_cast<float>(7.3700164250e-01);
  b = b * r + 1.0f;
  F x = a / b;
  const auto beyond_5 = t > 5.0f;
  if (L::any(beyond_5)) {
    const F r2 = t - 5.0f;
    F e = L::splat(static_cast<float>(1.7337203997e-02));
    e = e * r2 + static_cast<float>(4.2868294337e-01);
    e = e * r2 + static_cast<float>(3.0812263860e+00);
    e = e * r2 + static_cast<float>(6.6579051150e+00);
    F d = L::splat(static_cast<float>(1.2258202635e-02));
    d = d * r2 + static_cast<float>(2.4197894225e-01);
    d = d * r2 + 1.0f;
    x = select(beyond_5, e / d, x);
  }
  const auto far_lanes = t > 27.0f;
  if (L::any(far_lanes)) x = select(far_lanes, ndtri_far_tail(Lg), x);
  return -x;
}

template <class F, if_double<F> = 0>
FASTINIT_HD F ndtri_tail(F Lg) {
  using L = lane<F>;
  const F t = L::sqrt(-Lg);
  const F r = t - 1.6;
  F a = L::splat(7.74545014278341407640e-04);
  a = a * r + 2.27238449892691845833e-02;
  a = a * r + 2.41780725177450611770e-01;
  a = a * r + 1.27045825245236838258e+00;
  a = a * r + 3.64784832476320460504e+00;
  a = a * r + 5.76949722146069140550e+00;
  a = a * r + 4.63033784615654529590e+00;
  a = a * r + 1.42343711074968357734e+00;
  F b = L::splat(1.05075007164441684324e-09);
  b = b * r + 5.47593808499534494600e-04;
  b = b * r + 1.51986665636164571966e-02;
  b = b * r + 1.48103976427480074590e-01;
  b = b * r + 6.89767334985100004550e-01;
  b = b * r + 1.67638483018380384940e+00;
  b = b * r + 2.05319162663775882187e+00;
  b = b * r + 1.0;
  F x = a / b;
  const auto beyond_5 = t > 5.0;
  if (L::any(beyond_5)) {
    const F r2 = t - 5.0;
    F e = L::splat(2.01033439929228813265e-07);
    e = e * r2 + 2.71155556874348757815e-05;
    e = e * r2 + 1.24266094738807843860e-03;
    e = e * r2 + 2.65321895265761230930e-02;
    e = e * r2 + 2.96560571828504891230e-01;
    e = e * r2 + 1.78482653991729133580e+00;
    e = e * r2 + 5.46378491116411436990e+00;
    e = e * r2 + 6.65790464350110377720e+00;
    F d = L::splat(2.04426310338993978564e-15);
    d = d * r2 + 1.42151175831644588870e-07;
    d = d * r2 + 1.84631831751005468180e-05;
    d = d * r2 + 7.86869131145613259100e-04;
    d = d * r2 + 1.48753612908506148525e-02;
    d = d * r2 + 1.36929880922735805310e-01;
    d = d * r2 + 5.99832206555887937690e-01;
    d = d * r2 + 1.0;
    x = select(beyond_5, e / d, x);
  }
  const auto far_lanes = t > 27.0;
  if (L::any(far_lanes)) x = select(far_lanes, ndtri_far_tail(Lg), x);
  return -x;
}

// ---------------------------------------------------------------------------------------------
// Truncated normal (section 7). The constants come from fastinit/_random/plans.py.

template <class T>
struct trunc_branch {
  T base, centre, th, dd, ld, tau, dir, sgn;
};

template <class T>
struct trunc_params {
  T alpha, beta, mean, std, lo, hi;
  trunc_branch<T> br[2];
};

// x < lo ? lo : x, then x > hi ? hi : x (a NaN x stays NaN; -0 stays -0 against a bound +0).
template <class F, class S>
FASTINIT_HD F clamp_to(F x, S lo, S hi) {
  using L = lane<F>;
  return L::min_first(L::splat(hi), L::max_first(L::splat(lo), x));
}

// The pieces of one element, `up` in (0, 1/2] and `bit` the branch bit (0 or 1 per lane):
// the centre (every lane; `tail` marks the lanes that need the tail instead), the tail, and
// the final clamps. trunc_normal_from_half_unit composes them; a SIMD loop may also compute
// the tail lanes of many vectors together (same operations per lane, same values).
//
// Symmetric set-ups (`Sym`, see trunc_symmetric: the branches differ only in SGN, as for an
// interval centred on the mean) take branch 0's constants for every lane, and SGN * x is
// branch 0's SGN * x with its sign bit flipped by the branch bit: the same values, without the
// selects.

// The branch's constant: select(bit, x1, x0), or x0 when the set-up is symmetric.
template <bool Sym, class F, class S>
FASTINIT_HD F branch_const(lane_u<F> bit, S x0, S x1) {
  using L = lane<F>;
  if (Sym) return L::splat(x0);
  return select(bit, L::splat(x1), L::splat(x0));
}

// SGN * x for the lane's branch.
template <bool Sym, class F, class S>
FASTINIT_HD F branch_sign(lane_u<F> bit, const trunc_params<S>& p, F x) {
  using L = lane<F>;
  if (Sym) {
    const lane_u<F> flip = bit << static_cast<int>(8 * sizeof(S) - 1);
    return L::from_bits(L::to_bits(p.br[0].sgn * x) ^ flip);
  }
  return branch_const<false, F>(bit, p.br[0].sgn, p.br[1].sgn) * x;
}

template <class F, class S, bool Sym = false>
FASTINIT_HD F trunc_centre_z(F up, lane_u<F> bit, const trunc_params<S>& p,
                             decltype(F{} < F{})& tail) {
  const trunc_branch<S>& b0 = p.br[0];
  const trunc_branch<S>& b1 = p.br[1];
  const F base = branch_const<Sym, F>(bit, b0.base, b1.base);
  const F dd = branch_const<Sym, F>(bit, b0.dd, b1.dd);
  const F th = branch_const<Sym, F>(bit, b0.th, b1.th);
  const F centre = branch_const<Sym, F>(bit, b0.centre, b1.centre);
  const F v = base + up * dd;
  tail = v < th;
  return branch_sign<Sym>(bit, p, ndtri_centre(v - centre));
}

template <class F, class S, bool Sym = false>
FASTINIT_HD F trunc_tail_z(F up, lane_u<F> bit, const trunc_params<S>& p) {
  const trunc_branch<S>& b0 = p.br[0];
  const trunc_branch<S>& b1 = p.br[1];
  const F ld = branch_const<Sym, F>(bit, b0.ld, b1.ld);
  const F tau = branch_const<Sym, F>(bit, b0.tau, b1.tau);
  const F dir = branch_const<Sym, F>(bit, b0.dir, b1.dir);
  const F Lg = ld + fi_log(tau + dir * up);
  return branch_sign<Sym>(bit, p, ndtri_tail(Lg));
}

// Whether the two branches share every constant but SGN, and SGN_1 = -SGN_0 (bit for bit).
// A NaN constant (never made by fastinit/_random/plans.py) is not symmetric: flipping a NaN's sign
// bit is not what the multiplication by SGN does to it on x86.
template <class S>
inline bool trunc_symmetric(const trunc_params<S>& p) {
  const trunc_branch<S>& b0 = p.br[0];
  const trunc_branch<S>& b1 = p.br[1];
  const S same0[] = {b0.base, b0.centre, b0.th, b0.dd, b0.ld, b0.tau, b0.dir, b0.sgn};
  const S same1[] = {b1.base, b1.centre, b1.th, b1.dd, b1.ld, b1.tau, b1.dir, -b1.sgn};
  for (int i = 0; i < 8; ++i) {
    if (same0[i] != same0[i]) return false;  // NaN
    if (lane<S>::to_bits(same0[i]) != lane<S>::to_bits(same1[i])) return false;
  }
  return true;
}

template <class F, class S>
FASTINIT_HD F trunc_finish(F z, const trunc_params<S>& p) {
  z = clamp_to(z, p.alpha, p.beta);
  return clamp_to(p.mean + p.std * z, p.lo, p.hi);
}

template <class F, class S>
FASTINIT_HD F trunc_normal_from_half_unit(F up, lane_u<F> bit, const trunc_params<S>& p) {
  decltype(F{} < F{}) tail;
  F z = trunc_centre_z(up, bit, p, tail);
  if (lane<F>::any(tail)) z = select(tail, trunc_tail_z(up, bit, p), z);
  return trunc_finish(z, p);
}

// `up` and the branch bit of a word (section 7).
template <class F, if_single<F> = 0>
FASTINIT_HD F trunc_half_unit(lane_u<F> w, lane_u<F>& bit) {
  using L = lane<F>;
  bit = w >> 31;
  return (L::cvt(L::to_signed(w & 0x7fffffffu)) + 0.5f) * 0x1p-32f;
}

template <class F, if_double<F> = 0>
FASTINIT_HD F trunc_half_unit(lane_u<F> w, lane_u<F>& bit) {
  using L = lane<F>;
  bit = w >> 63;
  return (L::cvt(L::to_signed((w & 0x7fffffffffffffffull) >> 10)) + 0.5) * 0x1p-54;
}

template <class F, class S>
FASTINIT_HD F trunc_normal_value(lane_u<F> w, const trunc_params<S>& p) {
  lane_u<F> bit;
  const F up = trunc_half_unit<F>(w, bit);
  return trunc_normal_from_half_unit(up, bit, p);
}

}  // namespace fastinit
