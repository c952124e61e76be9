// Lane operations: the few things the transforms need beyond + - * / and comparisons, for one
// value (here) or a SIMD vector of values (csrc/cpu/simd_avx2.cpp). The transforms in
// transforms.h are written once, as templates over the lane type, so every backend and every
// SIMD width runs the same operations in the same order.
#pragma once
#include <cstring>
#include <type_traits>

#include "config.h"

namespace fastinit {

FASTINIT_HD uint32_t bits_of(float x) {
#if FASTINIT_DEVICE
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

FASTINIT_HD uint64_t bits_of(double x) {
#if FASTINIT_DEVICE
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

FASTINIT_HD float float_of(uint32_t u) {
#if FASTINIT_DEVICE
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

FASTINIT_HD double double_of(uint64_t u) {
#if FASTINIT_DEVICE
  return __longlong_as_double(static_cast<long long>(u));
#else
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

FASTINIT_HD uint64_t join64(uint32_t lo, uint32_t hi) {
  return static_cast<uint64_t>(lo) | (static_cast<uint64_t>(hi) << 32);
}


template <class F>
struct lane;

template <>
struct lane<float> {
  using U = uint32_t;  // the unsigned integer lane of the same width
  using I = int32_t;
  using S = float;  // the scalar type
  static constexpr bool kSingle = true;
  FASTINIT_HD static float splat(float s) { return s; }
  FASTINIT_HD static float from_bits(U u) { return float_of(u); }
  FASTINIT_HD static U to_bits(float x) { return bits_of(x); }
  FASTINIT_HD static I to_signed(U u) { return static_cast<I>(u); }
  FASTINIT_HD static float cvt(I i) { return static_cast<float>(i); }  // rounds to nearest
  FASTINIT_HD static float sqrt(float x) {
#if FASTINIT_DEVICE
    return __fsqrt_rn(x);
#else
    return __builtin_sqrtf(x);
#endif
  }
  // a > b ? a : b and a < b ? a : b, NaNs and signed zeros included (x86's max/min exactly)
  FASTINIT_HD static float max_first(float a, float b) { return a > b ? a : b; }
  FASTINIT_HD static float min_first(float a, float b) { return a < b ? a : b; }
  FASTINIT_HD static bool any(bool m) { return m; }
};

template <>
struct lane<double> {
  using U = uint64_t;
  using I = int64_t;
  using S = double;
  static constexpr bool kSingle = false;
  FASTINIT_HD static double splat(double s) { return s; }
  FASTINIT_HD static double from_bits(U u) { return double_of(u); }
  FASTINIT_HD static U to_bits(double x) { return bits_of(x); }
  FASTINIT_HD static I to_signed(U u) { return static_cast<I>(u); }
  FASTINIT_HD static double cvt(I i) { return static_cast<double>(i); }  // exact: |i| < 2^53
  FASTINIT_HD static double sqrt(double x) {
#if FASTINIT_DEVICE
    return __dsqrt_rn(x);
#else
    return __builtin_sqrt(x);
#endif
  }
  FASTINIT_HD static double max_first(double a, double b) { return a > b ? a : b; }
  FASTINIT_HD static double min_first(double a, double b) { return a < b ? a : b; }
  FASTINIT_HD static bool any(bool m) { return m; }
};

template <class F>
using lane_u = typename lane<F>::U;

}  // namespace fastinit
