// AVX-512 paths (compiled with -mavx512f -mavx512dq, never contracting to FMA). The loops are
// simd_impl.h's; this file describes the ISA: 16 blocks per counter vector, ternary-logic XOR in
// the Philox rounds, 128-bit-lane shuffles for the transposes, native compress for the tails.
// GCC 12's AVX-512 headers start some intrinsics from an undefined register (`__Y = __Y`),
// which -Wuninitialized reports hundreds of times once they are inlined (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cstring>

#include "simd_impl.h"
#include "simd.h"

namespace fastinit {

typedef float vf16 __attribute__((vector_size(64)));
typedef uint32_t vu16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));
typedef double vd8 __attribute__((vector_size(64)));
typedef uint64_t vul8 __attribute__((vector_size(64)));
typedef int64_t vil8 __attribute__((vector_size(64)));

template <>
struct lane<vf16> {
  using U = vu16;
  using I = vi16;
  using S = float;
  static constexpr bool kSingle = true;
  static vf16 splat(float s) { return (vf16)(_mm512_set1_ps(s)); }  // exact, also for -0
  static vf16 from_bits(vu16 u) { return (vf16)(u); }
  static vu16 to_bits(vf16 x) { return (vu16)(x); }
  static vi16 to_signed(vu16 u) { return (vi16)(u); }
  static vf16 cvt(vi16 i) { return __builtin_convertvector(i, vf16); }  // nearest
  static vf16 sqrt(vf16 x) { return (vf16)(_mm512_sqrt_ps((__m512)(x))); }
  // vmaxps/vminps are a > b ? a : b and a < b ? a : b, as lane<float>'s
  static vf16 max_first(vf16 a, vf16 b) { return (vf16)(_mm512_max_ps((__m512)(a), (__m512)(b))); }
  static vf16 min_first(vf16 a, vf16 b) { return (vf16)(_mm512_min_ps((__m512)(a), (__m512)(b))); }
  static bool any(vi16 m) { return _mm512_movepi32_mask((__m512i)(m)) != 0; }
};

template <>
struct lane<vd8> {
  using U = vul8;
  using I = vil8;
  using S = double;
  static constexpr bool kSingle = false;
  static vd8 splat(double s) { return (vd8)(_mm512_set1_pd(s)); }
  static vd8 from_bits(vul8 u) { return (vd8)(u); }
  static vul8 to_bits(vd8 x) { return (vul8)(x); }
  static vil8 to_signed(vul8 u) { return (vil8)(u); }
  static vd8 cvt(vil8 i) { return __builtin_convertvector(i, vd8); }  // exact: |i| < 2^53
  static vd8 sqrt(vd8 x) { return (vd8)(_mm512_sqrt_pd((__m512d)(x))); }
  static vd8 max_first(vd8 a, vd8 b) { return (vd8)(_mm512_max_pd((__m512d)(a), (__m512d)(b))); }
  static vd8 min_first(vd8 a, vd8 b) { return (vd8)(_mm512_min_pd((__m512d)(a), (__m512d)(b))); }
  static bool any(vil8 m) { return _mm512_movepi64_mask((__m512i)(m)) != 0; }
};

namespace avx512 {
namespace {

struct ctr16 {
  __m512i c[4];  // word l of 16 consecutive blocks
};

inline void round(ctr16& x, __m512i k0, __m512i k1, __m512i m0, __m512i m1) {
  // High halves: 32x32 -> 64-bit products of the even lanes (e) and of the odd lanes moved
  // down (o), gathered back into lane order by one masked shuffle. Low halves: vpmulld, which
  // on AMD Zen 4 is one micro-op and took the shuffle's place (+2-4% for uniform, normal and
  // truncated normal; the same bits).
  const __m512i e0 = _mm512_mul_epu32(x.c[0], m0);
  const __m512i o0 = _mm512_mul_epu32(_mm512_srli_epi64(x.c[0], 32), m0);
  const __m512i e1 = _mm512_mul_epu32(x.c[2], m1);
  const __m512i o1 = _mm512_mul_epu32(_mm512_srli_epi64(x.c[2], 32), m1);
  const __m512i hi0 = _mm512_mask_shuffle_epi32(o0, 0x5555, e0, _MM_PERM_CDAB);
  const __m512i lo0 = _mm512_mullo_epi32(x.c[0], m0);
  const __m512i hi1 = _mm512_mask_shuffle_epi32(o1, 0x5555, e1, _MM_PERM_CDAB);
  const __m512i lo1 = _mm512_mullo_epi32(x.c[2], m1);
  x.c[0] = _mm512_ternarylogic_epi32(hi1, x.c[1], k0, 0x96);  // three-way XOR
  x.c[1] = lo1;
  x.c[2] = _mm512_ternarylogic_epi32(hi0, x.c[3], k1, 0x96);
  x.c[3] = lo0;
}

inline ctr16 counters(const stream_id& s, uint64_t j) {
  ctr16 x;
  const uint32_t jlo = static_cast<uint32_t>(j);
  if (jlo <= 0xFFFFFFFFu - 15u) {  // no carry into the high word within these 16 blocks
    x.c[0] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(jlo)),
                              _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    x.c[1] = _mm512_set1_epi32(static_cast<int>(j >> 32));
  } else {
    alignas(64) uint32_t lo[16], hi[16];
    for (int b = 0; b < 16; ++b) {
      const uint64_t jj = j + static_cast<uint64_t>(b);
      lo[b] = static_cast<uint32_t>(jj);
      hi[b] = static_cast<uint32_t>(jj >> 32);
    }
    x.c[0] = _mm512_load_si512(lo);
    x.c[1] = _mm512_load_si512(hi);
  }
  x.c[2] = _mm512_set1_epi32(static_cast<int>(s.stream));
  x.c[3] = _mm512_set1_epi32(static_cast<int>(s.extra));
  return x;
}

// Blocks j .. j+31 as two groups of 16, rounds interleaved.
inline void philox32(const stream_id& s, uint64_t j, ctr16& a, ctr16& b) {
  a = counters(s, j);
  b = counters(s, j + 16);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxM1));
  const __m512i w0 = _mm512_set1_epi32(static_cast<int>(kPhiloxW0));
  const __m512i w1 = _mm512_set1_epi32(static_cast<int>(kPhiloxW1));
  __m512i k0 = _mm512_set1_epi32(static_cast<int>(s.key.v[0]));
  __m512i k1 = _mm512_set1_epi32(static_cast<int>(s.key.v[1]));
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 = _mm512_add_epi32(k0, w0);
      k1 = _mm512_add_epi32(k1, w1);
    }
    round(a, k0, k1, m0, m1);
    round(b, k0, k1, m0, m1);
  }
}

// u[m]'s 128-bit lane k holds block 4k + m; writes blocks 0..15 in order (4 vectors).
template <class V, class Shuffle, class Store>
inline void lanes_transpose(const V u[4], Shuffle shuffle, Store store) {
  const V v0 = shuffle(u[0], u[1], std::integral_constant<int, 0x44>{});
  const V v1 = shuffle(u[0], u[1], std::integral_constant<int, 0xEE>{});
  const V v2 = shuffle(u[2], u[3], std::integral_constant<int, 0x44>{});
  const V v3 = shuffle(u[2], u[3], std::integral_constant<int, 0xEE>{});
  store(0, shuffle(v0, v2, std::integral_constant<int, 0x88>{}));
  store(1, shuffle(v0, v2, std::integral_constant<int, 0xDD>{}));
  store(2, shuffle(v1, v3, std::integral_constant<int, 0x88>{}));
  store(3, shuffle(v1, v3, std::integral_constant<int, 0xDD>{}));
}

struct isa {
  using F32 = vf16;
  using F64 = vd8;
  using U32 = vu16;
  using U64 = vul8;
  using ctr = ctr16;
  static constexpr int kBlocks = 16;
  static void philox2(const stream_id& s, uint64_t j, ctr16& a, ctr16& b) { philox32(s, j, a, b); }
  static vu16 words(const ctr16& x, int l) { return (vu16)(x.c[l]); }

  static void transpose_store(const vf16 a[4], float* out, bool nt) {
    const __m512 a0 = (__m512)(a[0]), a1 = (__m512)(a[1]), a2 = (__m512)(a[2]), a3 = (__m512)(a[3]);
    const __m512 t0 = _mm512_unpacklo_ps(a0, a1), t1 = _mm512_unpackhi_ps(a0, a1);
    const __m512 t2 = _mm512_unpacklo_ps(a2, a3), t3 = _mm512_unpackhi_ps(a2, a3);
    const __m512 u[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                         _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE)};
    const bool stream = nt && (reinterpret_cast<uintptr_t>(out) & 63) == 0;
    lanes_transpose(
        u, [](__m512 x, __m512 y, auto imm) { return _mm512_shuffle_f32x4(x, y, decltype(imm)::value); },
        [&](int k, __m512 v) {
          if (stream) {
            _mm512_stream_ps(out + 16 * k, v);
          } else {
            _mm512_storeu_ps(out + 16 * k, v);
          }
        });
  }

  static void words64(const ctr16& x, vul8 w[4]) {
    w[0] = (vul8)(_mm512_unpacklo_epi32(x.c[0], x.c[1]));
    w[1] = (vul8)(_mm512_unpackhi_epi32(x.c[0], x.c[1]));
    w[2] = (vul8)(_mm512_unpacklo_epi32(x.c[2], x.c[3]));
    w[3] = (vul8)(_mm512_unpackhi_epi32(x.c[2], x.c[3]));
  }

  static void store64(const vd8 v[4], double* out, bool nt) {
    const __m512d A = (__m512d)(v[0]), B = (__m512d)(v[1]), C = (__m512d)(v[2]), D = (__m512d)(v[3]);
    const __m512d u[4] = {_mm512_unpacklo_pd(A, C), _mm512_unpackhi_pd(A, C),
                          _mm512_unpacklo_pd(B, D), _mm512_unpackhi_pd(B, D)};
    const bool stream = nt && (reinterpret_cast<uintptr_t>(out) & 63) == 0;
    lanes_transpose(
        u, [](__m512d x, __m512d y, auto imm) { return _mm512_shuffle_f64x2(x, y, decltype(imm)::value); },
        [&](int k, __m512d q) {
          if (stream) {
            _mm512_stream_pd(out + 8 * k, q);
          } else {
            _mm512_storeu_pd(out + 8 * k, q);
          }
        });
  }

  static unsigned mask(vi16 m) { return _mm512_movepi32_mask((__m512i)(m)); }
  static unsigned mask(vil8 m) { return _mm512_movepi64_mask((__m512i)(m)); }

  template <class V>
  static V compress(unsigned mask, const V& v) {
    if (sizeof(v[0]) == 8) {
      return (V)(_mm512_maskz_compress_epi64(static_cast<__mmask8>(mask), (__m512i)(v)));
    }
    return (V)(_mm512_maskz_compress_epi32(static_cast<__mmask16>(mask), (__m512i)(v)));
  }

  static vf16 expand(unsigned mask, const vf16& v, const float* src) {
    return (vf16)(_mm512_mask_expand_ps((__m512)(v), static_cast<__mmask16>(mask), _mm512_loadu_ps(src)));
  }
  static vd8 expand(unsigned mask, const vd8& v, const double* src) {
    return (vd8)(_mm512_mask_expand_pd((__m512d)(v), static_cast<__mmask8>(mask), _mm512_loadu_pd(src)));
  }
};

}  // namespace

bool supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
}


void fill_pattern(char* p, int64_t nbytes, const unsigned char* pattern, bool nt) {
  // The pattern repeats every element, and p is element-aligned, so byte k of any 64-byte
  // window starting at address a is pattern[(a + k) % 64].
  const int64_t head = std::min<int64_t>(nbytes, (64 - static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) & 63)) & 63);
  std::memcpy(p, pattern + (reinterpret_cast<uintptr_t>(p) & 63), static_cast<size_t>(head));
  char* q = p + head;
  int64_t left = nbytes - head;
  const __m512i v = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(pattern));
  if (nt) {
    for (; left >= 64; left -= 64, q += 64) _mm512_stream_si512(reinterpret_cast<__m512i*>(q), v);
  } else {
    for (; left >= 64; left -= 64, q += 64) _mm512_store_si512(reinterpret_cast<__m512i*>(q), v);
  }
  std::memcpy(q, pattern, static_cast<size_t>(left));
  if (nt) _mm_sfence();
}

}  // namespace avx512
}  // namespace fastinit

FASTINIT_SIMD_ENTRY_POINTS(avx512, avx512::isa)
