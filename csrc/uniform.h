// Bits to floats. docs/stream.md sections 3 and 4.
//
// float32: u = (w >> 8) * 2^-24, in [0, 1), 24 bits, exact.
// float64: u = (w64 >> 11) * 2^-53, in [0, 1), 53 bits, exact.
// x = lo + span * u, then clamped to hi (a rounding up past hi is the only way out).
#pragma once
#include <cstring>

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

// [0, 1) with 24 random bits.
FASTINIT_HD float unit24(uint32_t w) {
  return static_cast<float>(static_cast<int32_t>(w >> 8)) * 0x1p-24f;
}

// [0, 1) with 53 random bits.
FASTINIT_HD double unit53(uint64_t w) {
  return static_cast<double>(static_cast<int64_t>(w >> 11)) * 0x1p-53;
}

template <class T>
struct uniform_params {
  T lo;    // inward-rounded bound, exact in the output type
  T span;  // hi - lo, one rounding in T
  T hi;
};

template <class T>
FASTINIT_HD T uniform_map(T u, const uniform_params<T>& p) {
  const T x = p.lo + p.span * u;
  return x > p.hi ? p.hi : x;
}

}  // namespace fastinit
