// float32 -> float16 / bfloat16, rounded to nearest with ties to even (docs/stream.md section 3).
#pragma once
#include "config.h"
#include "uniform.h"

namespace fastinit {

FASTINIT_HD uint16_t float_to_half(float f) {
  uint32_t x = bits_of(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to infinity
  if (x < 0x38800000u) {                                                // half subnormal or zero
    if (x < 0x33000000u) return sign;                                   // below 2^-25
    const uint32_t e = x >> 23;
    const uint32_t m = (x & 0x007fffffu) | 0x00800000u;
    const uint32_t shift = 126u - e;                                    // 14 .. 24
    const uint32_t kept = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    const uint32_t up = (rem > half || (rem == half && (kept & 1u))) ? 1u : 0u;
    return static_cast<uint16_t>(sign | (kept + up));
  }
  x -= 0x38000000u;  // rebias the exponent from 127 to 15
  x += 0x0fffu + ((x >> 13) & 1u);
  return static_cast<uint16_t>(sign | (x >> 13));
}

FASTINIT_HD uint16_t float_to_bfloat16(float f) {
  const uint32_t x = bits_of(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);  // NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace fastinit
