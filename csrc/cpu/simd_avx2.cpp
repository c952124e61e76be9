// AVX2 paths (compiled with -mavx2 -mf16c, never -mfma). Philox runs on 16 counters at once
// (two vectors of 8 blocks, in struct-of-arrays form), the transforms of transforms.h run on
// 8-lane vectors through lane<vf8> / lane<vd4>, and a 4x8 transpose restores element order.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include <algorithm>

#include "../kernels.h"
#include "simd.h"

namespace fastinit {

typedef float vf8 __attribute__((vector_size(32)));
typedef uint32_t vu8 __attribute__((vector_size(32)));
typedef int32_t vi8 __attribute__((vector_size(32)));
typedef double vd4 __attribute__((vector_size(32)));
typedef uint64_t vu4 __attribute__((vector_size(32)));
typedef int64_t vi4 __attribute__((vector_size(32)));

template <>
struct lane<vf8> {
  using U = vu8;
  using I = vi8;
  using S = float;
  static constexpr bool kSingle = true;
  static vf8 splat(float s) { return vf8{} + s; }
  static vf8 from_bits(vu8 u) { return (vf8)(u); }
  static vu8 to_bits(vf8 x) { return (vu8)(x); }
  static vi8 to_signed(vu8 u) { return (vi8)(u); }
  static vf8 cvt(vi8 i) { return __builtin_convertvector(i, vf8); }  // vcvtdq2ps: nearest
  static vf8 sqrt(vf8 x) { return reinterpret_cast<vf8>(_mm256_sqrt_ps(reinterpret_cast<__m256>(x))); }
  static bool any(vi8 m) { return _mm256_movemask_ps(reinterpret_cast<__m256>(m)) != 0; }
};

template <>
struct lane<vd4> {
  using U = vu4;
  using I = vi4;
  using S = double;
  static constexpr bool kSingle = false;
  static vd4 splat(double s) { return vd4{} + s; }
  static vd4 from_bits(vu4 u) { return (vd4)(u); }
  static vu4 to_bits(vd4 x) { return (vu4)(x); }
  static vi4 to_signed(vu4 u) { return (vi4)(u); }
  // Exact for |i| < 2^53 (all the stream converts): two exact 2^52-magic conversions.
  static vd4 cvt(vi4 i) {
    const vi4 hi = i >> 26;
    const vi4 lo = i & ((int64_t{1} << 26) - 1);
    const vi4 magic = vi4{} + static_cast<int64_t>(0x4338000000000000ll);  // 2^52 + 2^51
    const vd4 dmagic = vd4{} + 6755399441055744.0;
    const vi4 hb = hi + magic;
    const vi4 lb = lo + magic;
    const vd4 h = (vd4)(hb) - dmagic;
    const vd4 l = (vd4)(lb) - dmagic;
    return h * 67108864.0 + l;  // h * 2^26 exact, the sum exact (< 2^53)
  }
  static vd4 sqrt(vd4 x) { return reinterpret_cast<vd4>(_mm256_sqrt_pd(reinterpret_cast<__m256d>(x))); }
  static bool any(vi4 m) { return _mm256_movemask_pd(reinterpret_cast<__m256d>(m)) != 0; }
};

namespace avx2 {
namespace {

struct ctr8 {
  __m256i c[4];  // word l of 8 consecutive blocks
};

inline void mulhilo(__m256i a, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

inline void round(ctr8& x, __m256i k0, __m256i k1, __m256i m0, __m256i m1) {
  __m256i hi0, lo0, hi1, lo1;
  mulhilo(x.c[0], m0, hi0, lo0);
  mulhilo(x.c[2], m1, hi1, lo1);
  x.c[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, x.c[1]), k0);
  x.c[1] = lo1;
  x.c[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, x.c[3]), k1);
  x.c[3] = lo0;
}

inline ctr8 counters(const stream_id& s, uint64_t j) {
  alignas(32) uint32_t lo[8], hi[8];
  for (int b = 0; b < 8; ++b) {
    const uint64_t jj = j + static_cast<uint64_t>(b);
    lo[b] = static_cast<uint32_t>(jj);
    hi[b] = static_cast<uint32_t>(jj >> 32);
  }
  ctr8 x;
  x.c[0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  x.c[1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  x.c[2] = _mm256_set1_epi32(static_cast<int>(s.stream));
  x.c[3] = _mm256_set1_epi32(static_cast<int>(s.extra));
  return x;
}

// Blocks j .. j+15 as two groups of 8, rounds interleaved to hide the multiply latency.
inline void philox16(const stream_id& s, uint64_t j, ctr8& a, ctr8& b) {
  a = counters(s, j);
  b = counters(s, j + 8);
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kPhiloxM1));
  const __m256i w0 = _mm256_set1_epi32(static_cast<int>(kPhiloxW0));
  const __m256i w1 = _mm256_set1_epi32(static_cast<int>(kPhiloxW1));
  __m256i k0 = _mm256_set1_epi32(static_cast<int>(s.key.v[0]));
  __m256i k1 = _mm256_set1_epi32(static_cast<int>(s.key.v[1]));
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 = _mm256_add_epi32(k0, w0);
      k1 = _mm256_add_epi32(k1, w1);
    }
    round(a, k0, k1, m0, m1);
    round(b, k0, k1, m0, m1);
  }
}

inline vu8 as_u(__m256i v) { return reinterpret_cast<vu8>(v); }

// a_l[b] is position l of block b; writes the 32 values in element order (block-major).
inline void transpose_store(const __m256 a[4], float* out, bool nt = false) {
  const __m256 t0 = _mm256_unpacklo_ps(a[0], a[1]);
  const __m256 t1 = _mm256_unpackhi_ps(a[0], a[1]);
  const __m256 t2 = _mm256_unpacklo_ps(a[2], a[3]);
  const __m256 t3 = _mm256_unpackhi_ps(a[2], a[3]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);  // blocks 0 | 4
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xEE);  // blocks 1 | 5
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);  // blocks 2 | 6
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xEE);  // blocks 3 | 7
  const __m256 o0 = _mm256_permute2f128_ps(u0, u1, 0x20);
  const __m256 o1 = _mm256_permute2f128_ps(u2, u3, 0x20);
  const __m256 o2 = _mm256_permute2f128_ps(u0, u1, 0x31);
  const __m256 o3 = _mm256_permute2f128_ps(u2, u3, 0x31);
  if (nt && (reinterpret_cast<uintptr_t>(out) & 31) == 0) {  // streaming: bypass the caches
    _mm256_stream_ps(out + 0, o0);
    _mm256_stream_ps(out + 8, o1);
    _mm256_stream_ps(out + 16, o2);
    _mm256_stream_ps(out + 24, o3);
  } else {
    _mm256_storeu_ps(out + 0, o0);
    _mm256_storeu_ps(out + 8, o1);
    _mm256_storeu_ps(out + 16, o2);
    _mm256_storeu_ps(out + 24, o3);
  }
}

// 64-bit words of 8 blocks: w[0]: word pair (0,1) of blocks 0,1,4,5; w[1]: of blocks 2,3,6,7;
// w[2], w[3]: word pair (2,3), same blocks.
inline void words64(const ctr8& x, vu4 w[4]) {
  w[0] = reinterpret_cast<vu4>(_mm256_unpacklo_epi32(x.c[0], x.c[1]));
  w[1] = reinterpret_cast<vu4>(_mm256_unpackhi_epi32(x.c[0], x.c[1]));
  w[2] = reinterpret_cast<vu4>(_mm256_unpacklo_epi32(x.c[2], x.c[3]));
  w[3] = reinterpret_cast<vu4>(_mm256_unpackhi_epi32(x.c[2], x.c[3]));
}

// v[0..3] computed from words64's w[0..3]; writes the 16 values in element order.
inline void store64(const vd4 v[4], double* out, bool nt = false) {
  const __m256d A = reinterpret_cast<__m256d>(v[0]), B = reinterpret_cast<__m256d>(v[1]);
  const __m256d C = reinterpret_cast<__m256d>(v[2]), D = reinterpret_cast<__m256d>(v[3]);
  const __m256d ac_lo = _mm256_unpacklo_pd(A, C);  // blocks 0 | 4
  const __m256d ac_hi = _mm256_unpackhi_pd(A, C);  // blocks 1 | 5
  const __m256d bd_lo = _mm256_unpacklo_pd(B, D);  // blocks 2 | 6
  const __m256d bd_hi = _mm256_unpackhi_pd(B, D);  // blocks 3 | 7
  const __m256d o0 = _mm256_permute2f128_pd(ac_lo, ac_hi, 0x20);
  const __m256d o1 = _mm256_permute2f128_pd(bd_lo, bd_hi, 0x20);
  const __m256d o2 = _mm256_permute2f128_pd(ac_lo, ac_hi, 0x31);
  const __m256d o3 = _mm256_permute2f128_pd(bd_lo, bd_hi, 0x31);
  if (nt && (reinterpret_cast<uintptr_t>(out) & 31) == 0) {
    _mm256_stream_pd(out + 0, o0);
    _mm256_stream_pd(out + 4, o1);
    _mm256_stream_pd(out + 8, o2);
    _mm256_stream_pd(out + 12, o3);
  } else {
    _mm256_storeu_pd(out + 0, o0);
    _mm256_storeu_pd(out + 4, o1);
    _mm256_storeu_pd(out + 8, o2);
    _mm256_storeu_pd(out + 12, o3);
  }
}

// Groups: 8 blocks in, their values out in element order.
struct raw_group {
  static constexpr int kValues = 32;
  void operator()(const ctr8& x, uint32_t* out, bool nt) const {
    __m256 a[4];
    for (int l = 0; l < 4; ++l) a[l] = _mm256_castsi256_ps(x.c[l]);
    transpose_store(a, reinterpret_cast<float*>(out), nt);
  }
};

struct uniform32_group {
  static constexpr int kValues = 32;
  uniform_params<float> p;
  void operator()(const ctr8& x, float* out, bool nt) const {
    __m256 a[4];
    for (int l = 0; l < 4; ++l)
      a[l] = reinterpret_cast<__m256>(uniform_map(unit_interval<vf8>(as_u(x.c[l])), p));
    transpose_store(a, out, nt);
  }
};

struct normal32_group {
  static constexpr int kValues = 32;
  float mean, std;
  void operator()(const ctr8& x, float* out, bool nt) const {
    vf8 z[4];
    normal_pair<vf8>(as_u(x.c[0]), as_u(x.c[1]), z[0], z[1]);
    normal_pair<vf8>(as_u(x.c[2]), as_u(x.c[3]), z[2], z[3]);
    __m256 a[4];
    for (int l = 0; l < 4; ++l) a[l] = reinterpret_cast<__m256>(mean + std * z[l]);
    transpose_store(a, out, nt);
  }
};

struct uniform64_group {
  static constexpr int kValues = 16;
  uniform_params<double> p;
  void operator()(const ctr8& x, double* out, bool nt) const {
    vu4 w[4];
    words64(x, w);
    vd4 v[4];
    for (int l = 0; l < 4; ++l) v[l] = uniform_map(unit_interval<vd4>(w[l]), p);
    store64(v, out, nt);
  }
};

struct normal64_group {
  static constexpr int kValues = 16;
  double mean, std;
  void operator()(const ctr8& x, double* out, bool nt) const {
    vu4 w[4];
    words64(x, w);
    vd4 z[4];
    normal_pair<vd4>(w[0], w[2], z[0], z[2]);
    normal_pair<vd4>(w[1], w[3], z[1], z[3]);
    vd4 v[4];
    for (int l = 0; l < 4; ++l) v[l] = mean + std * z[l];
    store64(v, out, nt);
  }
};

// Truncated normal with the tail lanes compacted: every lane takes the centre piece; the few
// lanes that need the tail (log, sqrt, rational) are queued and computed 8 (or 4) at a time,
// then written over their centre values. Same operations per lane as trunc_normal_value.
// Left-packing permutations: kPack8[m] moves the lanes set in the 8-bit mask m to the front.
struct pack_table {
  alignas(32) int32_t idx[256][8];
  pack_table() {
    for (int m = 0; m < 256; ++m) {
      int k = 0;
      for (int b = 0; b < 8; ++b)
        if (m & (1 << b)) idx[m][k++] = b;
      for (; k < 8; ++k) idx[m][k] = 0;
    }
  }
};
const pack_table kPack;

// Lanes of 32 bits (float: up and bit, and the element index as 32-bit offsets).
template <class F>
class tail_queue;

template <>
class tail_queue<vf8> {
 public:
  tail_queue(const trunc_params<float>& p, float* out) : p_(p), out_(out) {}

  // Queue the lanes of `mask` (one bit per lane); lane b's element is out[index[b]].
  void push(int mask, const vf8& up, const vu8& bit, const vi8& index) {
    const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPack.idx[mask]));
    _mm256_storeu_ps(up_ + n_, _mm256_permutevar8x32_ps((__m256)(up), perm));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bit_ + n_),
                        _mm256_permutevar8x32_epi32((__m256i)(bit), perm));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx_ + n_),
                        _mm256_permutevar8x32_epi32((__m256i)(index), perm));
    n_ += __builtin_popcount(static_cast<unsigned>(mask));
    if (n_ >= 8) {
      compute(8);
      n_ -= 8;
      std::memcpy(up_, up_ + 8, sizeof(float) * 8);
      std::memcpy(bit_, bit_ + 8, sizeof(uint32_t) * 8);
      std::memcpy(idx_, idx_ + 8, sizeof(int32_t) * 8);
    }
  }

  void flush() {
    if (n_ > 0) compute(n_);
    n_ = 0;
  }

 private:
  void compute(int count) {
    for (int i = count; i < 8; ++i) {  // pad with a queued lane: valid input, result unused
      up_[i] = up_[0];
      bit_[i] = bit_[0];
    }
    vf8 up;
    vu8 bit;
    std::memcpy(&up, up_, sizeof up);
    std::memcpy(&bit, bit_, sizeof bit);
    const vf8 v = trunc_finish(trunc_tail_z(up, bit, p_), p_);
    for (int i = 0; i < count; ++i) out_[idx_[i]] = v[i];
  }

  const trunc_params<float>& p_;
  float* out_;
  alignas(32) float up_[16];
  alignas(32) uint32_t bit_[16];
  alignas(32) int32_t idx_[16];
  int n_ = 0;
};

// Lanes of 64 bits (double): the same with 4-lane masks, as pairs of 32-bit lanes.
template <>
class tail_queue<vd4> {
 public:
  tail_queue(const trunc_params<double>& p, double* out) : p_(p), out_(out) {}

  void push(int mask, const vd4& up, const vu4& bit, const vi4& index) {
    int m8 = 0;  // each 64-bit lane is two 32-bit lanes
    for (int b = 0; b < 4; ++b)
      if (mask & (1 << b)) m8 |= 3 << (2 * b);
    const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPack.idx[m8]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(up_ + n_),
                        _mm256_permutevar8x32_epi32((__m256i)(up), perm));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(bit_ + n_),
                        _mm256_permutevar8x32_epi32((__m256i)(bit), perm));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx_ + n_),
                        _mm256_permutevar8x32_epi32((__m256i)(index), perm));
    n_ += __builtin_popcount(static_cast<unsigned>(mask));
    if (n_ >= 4) {
      compute(4);
      n_ -= 4;
      std::memcpy(up_, up_ + 4, sizeof(double) * 4);
      std::memcpy(bit_, bit_ + 4, sizeof(uint64_t) * 4);
      std::memcpy(idx_, idx_ + 4, sizeof(int64_t) * 4);
    }
  }

  void flush() {
    if (n_ > 0) compute(n_);
    n_ = 0;
  }

 private:
  void compute(int count) {
    for (int i = count; i < 4; ++i) {
      up_[i] = up_[0];
      bit_[i] = bit_[0];
    }
    vd4 up;
    vu4 bit;
    std::memcpy(&up, up_, sizeof up);
    std::memcpy(&bit, bit_, sizeof bit);
    const vd4 v = trunc_finish(trunc_tail_z(up, bit, p_), p_);
    for (int i = 0; i < count; ++i) out_[idx_[i]] = v[i];
  }

  const trunc_params<double>& p_;
  double* out_;
  alignas(32) double up_[8];
  alignas(32) uint64_t bit_[8];
  alignas(32) int64_t idx_[8];
  int n_ = 0;
};

inline int lane_mask(vi8 m) { return _mm256_movemask_ps((__m256)(m)); }
inline int lane_mask(vi4 m) { return _mm256_movemask_pd((__m256d)(m)); }

void trunc32_groups(const trunc_params<float>& p, const stream_id& s, uint64_t j, int64_t groups,
                    float* out) {
  tail_queue<vf8> q(p, out);
  for (int64_t g = 0; g < groups; ++g, j += 16) {
    ctr8 x[2];
    philox16(s, j, x[0], x[1]);
    for (int h = 0; h < 2; ++h) {
      const int64_t base = g * 64 + h * 32;
      __m256 a[4];
      vf8 up[4];
      vu8 bit[4];
      int mask[4];
      for (int l = 0; l < 4; ++l) {
        up[l] = trunc_half_unit<vf8>(as_u(x[h].c[l]), bit[l]);
        vi8 tail;
        vf8 z = trunc_centre_z(up[l], bit[l], p, tail);
        mask[l] = lane_mask(tail);
        if (__builtin_popcount(static_cast<unsigned>(mask[l])) > 4) {  // mostly tail: directly
          z = select(tail, trunc_tail_z(up[l], bit[l], p), z);
          mask[l] = 0;
        }
        a[l] = (__m256)(trunc_finish(z, p));
      }
      transpose_store(a, out + base);  // first the centre values, then the tails over them
      const vi8 lane4 = vi8{0, 4, 8, 12, 16, 20, 24, 28} + static_cast<int32_t>(base);
      for (int l = 0; l < 4; ++l) q.push(mask[l], up[l], bit[l], lane4 + l);
    }
  }
  q.flush();
}

void trunc64_groups(const trunc_params<double>& p, const stream_id& s, uint64_t j,
                    int64_t groups, double* out) {
  // words64's vector l holds blocks kBlocks[l % 2], slot l / 2 (see words64).
  static const int kBlocks[2][4] = {{0, 1, 4, 5}, {2, 3, 6, 7}};
  tail_queue<vd4> q(p, out);
  for (int64_t g = 0; g < groups; ++g, j += 16) {
    ctr8 x[2];
    philox16(s, j, x[0], x[1]);
    for (int h = 0; h < 2; ++h) {
      const int64_t base = g * 32 + h * 16;
      vu4 w[4];
      words64(x[h], w);
      vd4 v[4], up[4];
      vu4 bit[4];
      int mask[4];
      for (int l = 0; l < 4; ++l) {
        up[l] = trunc_half_unit<vd4>(w[l], bit[l]);
        vi4 tail;
        vd4 z = trunc_centre_z(up[l], bit[l], p, tail);
        mask[l] = lane_mask(tail);
        if (__builtin_popcount(static_cast<unsigned>(mask[l])) > 2) {
          z = select(tail, trunc_tail_z(up[l], bit[l], p), z);
          mask[l] = 0;
        }
        v[l] = trunc_finish(z, p);
      }
      store64(v, out + base);  // first the centre values, then the tails over them
      for (int l = 0; l < 4; ++l) {
        const vi4 index = vi4{kBlocks[l % 2][0], kBlocks[l % 2][1], kBlocks[l % 2][2],
                              kBlocks[l % 2][3]} * 2 + (base + l / 2);
        q.push(mask[l], up[l], bit[l], index);
      }
    }
  }
  q.flush();
}

// Elements [first, first + n) from whole groups of 16 blocks: `whole(j, groups, out)` writes
// the values of blocks j .. j + 16 * groups - 1; partial groups at either end go through a
// scratch buffer. Only vector code runs in this file (no scalar kernels: those belong to the
// baseline translation unit; an inline function compiled here too, with AVX2 flags, could be
// the copy the linker keeps for the baseline path).
template <int P, class V, class Whole>
void run_blocks(const Whole& whole, uint64_t first, int64_t n, V* buf) {
  constexpr int64_t kStep = 16 * P;
  alignas(32) V tmp[kStep];
  uint64_t j = first / P;
  int64_t skip = static_cast<int64_t>(first % P);
  int64_t done = 0;
  while (done < n) {
    if (skip == 0 && n - done >= kStep) {
      const int64_t groups = (n - done) / kStep;
      whole(j, groups, buf + done);
      j += 16 * static_cast<uint64_t>(groups);
      done += groups * kStep;
    } else {
      whole(j, 1, tmp);
      const int64_t take = std::min<int64_t>(kStep - skip, n - done);
      std::memcpy(buf + done, tmp + skip, sizeof(V) * static_cast<size_t>(take));
      j += 16;
      done += take;
      skip = 0;
    }
  }
}

template <class K, class G>
void run_groups(const K&, const G& g, const stream_id& s, uint64_t first, int64_t n,
                typename K::value_type* buf, bool nt) {
  run_blocks<K::kPerBlock>(
      [&](uint64_t j, int64_t groups, typename K::value_type* out) {
        for (int64_t k = 0; k < groups; ++k, j += 16, out += 2 * G::kValues) {
          ctr8 a, b;
          philox16(s, j, a, b);
          g(a, out, nt);
          g(b, out + G::kValues, nt);
        }
      },
      first, n, buf);
}

template <class K, class Groups>
void run_trunc(const K& k, Groups groups_fn, const stream_id& s, uint64_t first, int64_t n,
               typename K::value_type* buf) {
  run_blocks<K::kPerBlock>(
      [&](uint64_t j, int64_t groups, typename K::value_type* out) {
        groups_fn(k.p, s, j, groups, out);
      },
      first, n, buf);
}

}  // namespace

bool supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
}

void run(const raw_kernel& k, const stream_id& s, uint64_t first, int64_t n, uint32_t* buf, bool nt) {
  run_groups(k, raw_group{}, s, first, n, buf, nt);
}
void run(const uniform_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt) {
  run_groups(k, uniform32_group{k.p}, s, first, n, buf, nt);
}
void run(const uniform_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt) {
  run_groups(k, uniform64_group{k.p}, s, first, n, buf, nt);
}
void run(const normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt) {
  run_groups(k, normal32_group{k.mean, k.std}, s, first, n, buf, nt);
}
void run(const normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt) {
  run_groups(k, normal64_group{k.mean, k.std}, s, first, n, buf, nt);
}
void run(const trunc_normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf,
         bool /*nt: the tail lanes are written twice, so never streamed*/) {
  run_trunc(k, trunc32_groups, s, first, n, buf);
}
void run(const trunc_normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf,
         bool /*nt*/) {
  run_trunc(k, trunc64_groups, s, first, n, buf);
}

void store_fence() { _mm_sfence(); }

void store_half(const float* src, int64_t n, uint16_t* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  if (i < n) {  // the last few through a padded vector (no scalar conversion code here)
    alignas(32) float in[8] = {};
    alignas(16) uint16_t outv[8];
    std::memcpy(in, src + i, sizeof(float) * static_cast<size_t>(n - i));
    _mm_store_si128(reinterpret_cast<__m128i*>(outv),
                    _mm256_cvtps_ph(_mm256_load_ps(in), _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(dst + i, outv, sizeof(uint16_t) * static_cast<size_t>(n - i));
  }
}

void store_bfloat16(const float* src, int64_t n, uint16_t* dst) {
  // Values are never NaN here: round to nearest even on the upper 16 bits.
  const auto round16 = [](__m256i x) {
    const __m256i bias = _mm256_set1_epi32(0x7fff);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    return _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, bias), lsb), 16);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i x0 = round16(_mm256_castps_si256(_mm256_loadu_ps(src + i)));
    const __m256i x1 = round16(_mm256_castps_si256(_mm256_loadu_ps(src + i + 8)));
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(x0, x1), 0xD8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), packed);
  }
  if (i < n) {  // the last few through a padded vector
    alignas(32) float in[16] = {};
    alignas(32) uint16_t outv[16];
    std::memcpy(in, src + i, sizeof(float) * static_cast<size_t>(n - i));
    const __m256i x0 = round16(_mm256_castps_si256(_mm256_load_ps(in)));
    const __m256i x1 = round16(_mm256_castps_si256(_mm256_load_ps(in + 8)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(outv),
                       _mm256_permute4x64_epi64(_mm256_packus_epi32(x0, x1), 0xD8));
    std::memcpy(dst + i, outv, sizeof(uint16_t) * static_cast<size_t>(n - i));
  }
}

}  // namespace avx2
}  // namespace fastinit
