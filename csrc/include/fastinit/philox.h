// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// exactly as Random123 defines it. Bits only: no distributions here.
#pragma once
#include "config.h"

namespace fastinit {

struct philox_counter { uint32_t v[4]; };
struct philox_key { uint32_t v[2]; };

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

FASTINIT_HD void philox_round(uint32_t c[4], uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c[0];
  const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c[2];
  const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
  const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
  c[0] = hi1 ^ c[1] ^ k0;
  c[1] = lo1;
  c[2] = hi0 ^ c[3] ^ k1;
  c[3] = lo0;
}

// Ten rounds, the key bumped between rounds.
FASTINIT_HD philox_counter philox4x32_10(philox_counter ctr, philox_key key) {
  uint32_t c[4] = {ctr.v[0], ctr.v[1], ctr.v[2], ctr.v[3]};
  uint32_t k0 = key.v[0], k1 = key.v[1];
  for (int r = 0; r < 10; ++r) {
    if (r > 0) { k0 += kPhiloxW0; k1 += kPhiloxW1; }
    philox_round(c, k0, k1);
  }
  return philox_counter{{c[0], c[1], c[2], c[3]}};
}

// The stream of BRIEF.md / docs/stream.md: key from the 64-bit seed, counter
// (j_lo, j_hi, stream, extra) for block j.
struct stream_id {
  philox_key key;
  uint32_t stream;
  uint32_t extra;
};

FASTINIT_HD stream_id make_stream(uint64_t seed, uint32_t stream, uint32_t extra) {
  return stream_id{{{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)}}, stream, extra};
}

FASTINIT_HD philox_counter stream_block(const stream_id& s, uint64_t j) {
  return philox4x32_10(
      philox_counter{{static_cast<uint32_t>(j), static_cast<uint32_t>(j >> 32), s.stream, s.extra}}, s.key);
}

}  // namespace fastinit
