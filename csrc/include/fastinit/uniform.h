// Bits to floats. docs/stream.md sections 3 and 4.
//
// float32: u = (w >> 8) * 2^-24, in [0, 1), 24 bits, exact.
// float64: u = (w64 >> 11) * 2^-53, in [0, 1), 53 bits, exact.
// x = lo + span * u, then clamped to hi (a rounding up past hi is the only way out).
#pragma once
#include "config.h"
#include "lanes.h"

namespace fastinit {

// [0, 1) with 24 random bits, from one word (float lanes) or 53 bits of a 64-bit word.
template <class F, typename std::enable_if<lane<F>::kSingle, int>::type = 0>
FASTINIT_HD F unit_interval(lane_u<F> w) {
  return lane<F>::cvt(lane<F>::to_signed(w >> 8)) * 0x1p-24f;
}

template <class F, typename std::enable_if<!lane<F>::kSingle, int>::type = 0>
FASTINIT_HD F unit_interval(lane_u<F> w) {
  return lane<F>::cvt(lane<F>::to_signed(w >> 11)) * 0x1p-53;
}

template <class T>
struct uniform_params {
  T lo;    // inward-rounded bound, exact in the output type
  T span;  // hi - lo, one rounding in T
  T hi;
};

template <class F, class T>
FASTINIT_HD F uniform_map(F u, const uniform_params<T>& p) {
  const F x = p.lo + p.span * u;
  return x > p.hi ? lane<F>::splat(p.hi) : x;
}

}  // namespace fastinit
