// AVX2 paths (compiled with -mavx2 -mf16c, never -mfma). Philox runs on 16 counters at once
// (two vectors of 8 blocks, in struct-of-arrays form), the transforms of transforms.h run on
// 8-lane vectors through lane<vf8> / lane<vd4>, and a 4x8 transpose restores element order.
// The loops themselves are simd_impl.h's, shared with the AVX-512 unit.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include <algorithm>

#include "simd_impl.h"
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
  static vf8 splat(float s) { return (vf8)(_mm256_set1_ps(s)); }  // exact, also for -0
  static vf8 from_bits(vu8 u) { return (vf8)(u); }
  static vu8 to_bits(vf8 x) { return (vu8)(x); }
  static vi8 to_signed(vu8 u) { return (vi8)(u); }
  static vf8 cvt(vi8 i) { return __builtin_convertvector(i, vf8); }  // vcvtdq2ps: nearest
  static vf8 sqrt(vf8 x) { return reinterpret_cast<vf8>(_mm256_sqrt_ps(reinterpret_cast<__m256>(x))); }
  // vmaxps/vminps are a > b ? a : b and a < b ? a : b, as lane<float>'s
  static vf8 max_first(vf8 a, vf8 b) { return (vf8)(_mm256_max_ps((__m256)(a), (__m256)(b))); }
  static vf8 min_first(vf8 a, vf8 b) { return (vf8)(_mm256_min_ps((__m256)(a), (__m256)(b))); }
  static bool any(vi8 m) { return _mm256_movemask_ps(reinterpret_cast<__m256>(m)) != 0; }
};

template <>
struct lane<vd4> {
  using U = vu4;
  using I = vi4;
  using S = double;
  static constexpr bool kSingle = false;
  static vd4 splat(double s) { return (vd4)(_mm256_set1_pd(s)); }
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
  static vd4 max_first(vd4 a, vd4 b) { return (vd4)(_mm256_max_pd((__m256d)(a), (__m256d)(b))); }
  static vd4 min_first(vd4 a, vd4 b) { return (vd4)(_mm256_min_pd((__m256d)(a), (__m256d)(b))); }
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
  ctr8 x;
  const uint32_t jlo = static_cast<uint32_t>(j);
  if (jlo <= 0xFFFFFFFFu - 7u) {  // no carry into the high word within these 8 blocks
    x.c[0] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(jlo)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    x.c[1] = _mm256_set1_epi32(static_cast<int>(j >> 32));
  } else {
    alignas(32) uint32_t lo[8], hi[8];
    for (int b = 0; b < 8; ++b) {
      const uint64_t jj = j + static_cast<uint64_t>(b);
      lo[b] = static_cast<uint32_t>(jj);
      hi[b] = static_cast<uint32_t>(jj >> 32);
    }
    x.c[0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
    x.c[1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  }
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

// The permutation tables are built at compile time (constexpr): a constructor run when the
// module loads would be compiled with this unit's AVX2 flags, and GCC vectorizes it, so CPUs
// without AVX2 would fault on import (tools/check_simd_symbols.py checks the initializers).

// Left-packing permutations: kPack.idx[m] moves the lanes set in the 8-bit mask m to the front.
struct pack_table {
  alignas(32) int32_t idx[256][8] = {};
  constexpr pack_table() {
    for (int m = 0; m < 256; ++m) {
      int k = 0;
      for (int b = 0; b < 8; ++b)
        if (m & (1 << b)) idx[m][k++] = b;
    }
  }
};
constexpr pack_table kPack{};

// Expanding permutations: kUnpack.idx[m] sends the first popcount(m) lanes to the lanes set in
// m, in order; kUnpack.sel[m] is all ones in those lanes.
struct unpack_table {
  alignas(32) int32_t idx[256][8] = {};
  alignas(32) int32_t sel[256][8] = {};
  constexpr unpack_table() {
    for (int m = 0; m < 256; ++m) {
      int k = 0;
      for (int b = 0; b < 8; ++b) {
        if ((m >> b) & 1) {
          idx[m][b] = k++;
          sel[m][b] = -1;
        }
      }
    }
  }
};
constexpr unpack_table kUnpack{};

// Lane mask of 4 64-bit lanes as the 8-bit mask of their 32-bit halves.
inline unsigned pair_mask(unsigned mask) {
  unsigned m8 = 0;
  for (int b = 0; b < 4; ++b)
    if (mask & (1u << b)) m8 |= 3u << (2 * b);
  return m8;
}

inline unsigned lane_mask(vi8 m) { return static_cast<unsigned>(_mm256_movemask_ps((__m256)(m))); }
inline unsigned lane_mask(vi4 m) { return static_cast<unsigned>(_mm256_movemask_pd((__m256d)(m))); }

struct isa {
  using F32 = vf8;
  using F64 = vd4;
  using U32 = vu8;
  using U64 = vu4;
  using ctr = ctr8;
  static constexpr int kBlocks = 8;
  static void philox2(const stream_id& s, uint64_t j, ctr8& a, ctr8& b) { philox16(s, j, a, b); }
  static vu8 words(const ctr8& x, int l) { return as_u(x.c[l]); }
  static void transpose_store(const vf8 a[4], float* out, bool nt) {
    const __m256 m[4] = {(__m256)(a[0]), (__m256)(a[1]), (__m256)(a[2]), (__m256)(a[3])};
    avx2::transpose_store(m, out, nt);
  }
  static void words64(const ctr8& x, vu4 w[4]) { avx2::words64(x, w); }
  static void store64(const vd4 v[4], double* out, bool nt) { avx2::store64(v, out, nt); }
  static unsigned mask(vi8 m) { return lane_mask(m); }
  static unsigned mask(vi4 m) { return lane_mask(m); }
  // The lanes of `mask` moved to the front (32-bit lanes; 64-bit lanes as pairs).
  template <class V>
  static V compress(unsigned mask, const V& v) {
    const unsigned m8 = sizeof(v[0]) == 8 ? pair_mask(mask) : mask;
    const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPack.idx[m8]));
    return (V)(_mm256_permutevar8x32_epi32((__m256i)(v), perm));
  }
  template <class V, class S>
  static V expand(unsigned mask, const V& v, const S* src) {
    const unsigned m8 = sizeof(S) == 8 ? pair_mask(mask) : mask;
    const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kUnpack.idx[m8]));
    const __m256i sel = _mm256_load_si256(reinterpret_cast<const __m256i*>(kUnpack.sel[m8]));
    const __m256i moved = _mm256_permutevar8x32_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)), perm);
    return (V)(_mm256_blendv_epi8((__m256i)(v), moved, sel));
  }
};

}  // namespace

bool supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
}

void fill_pattern(char* p, int64_t nbytes, const unsigned char* pattern, bool nt) {
  // The pattern repeats every element, and p is element-aligned, so byte k of any 64-byte
  // window starting at address a is pattern[(a + k) % 64].
  const int64_t head = std::min<int64_t>(nbytes, (64 - static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) & 63)) & 63);
  std::memcpy(p, pattern + (reinterpret_cast<uintptr_t>(p) & 63), static_cast<size_t>(head));
  char* q = p + head;
  int64_t left = nbytes - head;
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(pattern));
  if (nt) {
    for (; left >= 64; left -= 64, q += 64) { _mm256_stream_si256(reinterpret_cast<__m256i*>(q), v); _mm256_stream_si256(reinterpret_cast<__m256i*>(q + 32), v); };
  } else {
    for (; left >= 64; left -= 64, q += 64) { _mm256_store_si256(reinterpret_cast<__m256i*>(q), v); _mm256_store_si256(reinterpret_cast<__m256i*>(q + 32), v); };
  }
  std::memcpy(q, pattern, static_cast<size_t>(left));
  if (nt) _mm_sfence();
}


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

FASTINIT_SIMD_ENTRY_POINTS(avx2, avx2::isa)
