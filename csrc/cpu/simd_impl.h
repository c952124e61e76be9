// The SIMD fill loops, written once over an ISA description `Isa` (simd_avx2.cpp,
// simd_avx512.cpp). Each ISA file includes this header once, inside its own namespace, so
// nothing here is shared between translation units compiled with different ISA flags.
//
// An Isa provides:
//   F32, F64, U32, U64 (GCC vector types; lane<F32>, lane<F64> specialized), kBlocks (blocks
//   per counter vector), ctr (four word vectors of kBlocks blocks), philox2(s, j, a, b) (blocks
//   j .. j + 2 kBlocks - 1), words(ctr, l) (word l as U32), transpose_store(F32[4], float*, nt)
//   (4 kBlocks values in element order), words64(ctr, U64[4]) and store64(F64[4], double*, nt)
//   (2 kBlocks values), mask(cmp) (one bit per lane), compress(mask, v) (the masked lanes moved
//   to the front).
//
// Only vector code runs here: no scalar kernel of the baseline unit is instantiated, because an
// inline function compiled here too, with wider ISA flags, could be the copy the linker keeps
// for the baseline path (tools/check_simd_symbols.py checks it).
#pragma once
#include <algorithm>
#include <cstring>

#include "../kernels.h"

namespace fastinit {
namespace simd_detail {

template <class Isa>
struct groups {
  using F32 = typename Isa::F32;
  using F64 = typename Isa::F64;
  using U32 = typename Isa::U32;
  using U64 = typename Isa::U64;
  using ctr = typename Isa::ctr;
  static constexpr int B = Isa::kBlocks;

  // Element offset of lane b of words64's vector l: slot l / 2 of block (b/2)*4 + b%2 + 2(l%2).
  static constexpr int64_t offset64(int l, int b) {
    return ((b / 2) * 4 + b % 2 + 2 * (l % 2)) * 2 + l / 2;
  }

  // ---- one counter vector (B blocks) in, its values out in element order ----

  struct raw {
    static constexpr int kValues = 4 * B;
    void operator()(const ctr& x, uint32_t* out, bool nt) const {
      F32 a[4];
      for (int l = 0; l < 4; ++l) a[l] = (F32)(Isa::words(x, l));
      Isa::transpose_store(a, reinterpret_cast<float*>(out), nt);
    }
  };

  struct uniform32 {
    static constexpr int kValues = 4 * B;
    uniform_params<float> p;
    void operator()(const ctr& x, float* out, bool nt) const {
      F32 a[4];
      for (int l = 0; l < 4; ++l) a[l] = uniform_map(unit_interval<F32>(Isa::words(x, l)), p);
      Isa::transpose_store(a, out, nt);
    }
  };

  struct normal32 {
    static constexpr int kValues = 4 * B;
    float mean, std;
    void operator()(const ctr& x, float* out, bool nt) const {
      F32 z[4];
      normal_pair<F32>(Isa::words(x, 0), Isa::words(x, 1), z[0], z[1]);
      normal_pair<F32>(Isa::words(x, 2), Isa::words(x, 3), z[2], z[3]);
      for (int l = 0; l < 4; ++l) z[l] = mean + std * z[l];
      Isa::transpose_store(z, out, nt);
    }
  };

  struct uniform64 {
    static constexpr int kValues = 2 * B;
    uniform_params<double> p;
    void operator()(const ctr& x, double* out, bool nt) const {
      U64 w[4];
      Isa::words64(x, w);
      F64 v[4];
      for (int l = 0; l < 4; ++l) v[l] = uniform_map(unit_interval<F64>(w[l]), p);
      Isa::store64(v, out, nt);
    }
  };

  struct normal64 {
    static constexpr int kValues = 2 * B;
    double mean, std;
    // Inlined into the loop over counter vectors, so that the chains (log, sqrt, sin/cos) of
    // two calls overlap: +5% in float64 (float32 gained nothing).
    __attribute__((always_inline)) void operator()(const ctr& x, double* out, bool nt) const {
      U64 w[4];
      Isa::words64(x, w);
      F64 z[4];
      normal_pair<F64>(w[0], w[2], z[0], z[2]);
      normal_pair<F64>(w[1], w[3], z[1], z[3]);
      for (int l = 0; l < 4; ++l) z[l] = mean + std * z[l];
      Isa::store64(z, out, nt);
    }
  };

  // ---- truncated normal, tail lanes compacted ----
  //
  // Two passes over a batch of kTruncGroups counter-vector pairs. The first computes the centre
  // piece of every lane and stores it; the words of the lanes that need the tail instead (log,
  // sqrt, rational) are compressed, with their offsets, onto a queue. The second computes the
  // queued lanes a whole vector at a time and writes them over their centre values. A vector
  // that is mostly tail is computed in place. Same operations per lane as trunc_normal_value.

  static constexpr int kTruncGroups = 16;

  // The queued words of one batch and their element offsets from the batch's first element.
  template <class UW>
  struct tail_batch {
    static constexpr int kMax = kTruncGroups * 8 * B + B;  // every lane of the batch, + padding
    alignas(64) UW word[kMax];
    alignas(64) UW offset[kMax];
    int n = 0;

    template <class UL>
    void push(unsigned mask, const UL& w, const UL& off) {
      if (mask == 0) return;
      const UL cw = Isa::compress(mask, w);
      const UL co = Isa::compress(mask, off);
      std::memcpy(word + n, &cw, sizeof cw);
      std::memcpy(offset + n, &co, sizeof co);
      n += __builtin_popcount(mask);
    }

    // The tail values of the queued lanes, written to out[offset]. Four vectors at a time:
    // one vector's chain (log, sqrt, two divisions) is long, and four independent ones overlap.
    template <class F, class S>
    void finish(const trunc_params<S>& p, S* out) {
      constexpr int W = static_cast<int>(sizeof(F) / sizeof(S));
      for (int i = n; i % W != 0; ++i) word[i] = word[0];  // valid input, result unused
      int k = 0;
      for (; k + 3 * W < n; k += 4 * W) {
        F v[4];
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) v[u] = tail_value<F>(p, k + u * W);
        for (int u = 0; u < 4; ++u) scatter(v[u], k + u * W, out);
      }
      for (; k < n; k += W) scatter(tail_value<F>(p, k), k, out);
      n = 0;
    }

    template <class F, class S>
    F tail_value(const trunc_params<S>& p, int k) const {
      lane_u<F> w, bit;
      std::memcpy(&w, word + k, sizeof w);
      const F up = trunc_half_unit<F>(w, bit);
      return trunc_finish(trunc_tail_z(up, bit, p), p);
    }

    template <class F, class S>
    void scatter(const F& v, int k, S* out) const {
      constexpr int W = static_cast<int>(sizeof(F) / sizeof(S));
      const int m = std::min(W, n - k);
      for (int i = 0; i < m; ++i) out[offset[k + i]] = v[i];
    }
  };

  // The values of one vector of words, from the centre piece; `mask` gets the lanes that need
  // the tail instead, for the queue. A vector that is mostly tail is finished here (mask 0).
  template <class F, class S>
  static F trunc_centre(const lane_u<F>& w, const trunc_params<S>& p, unsigned& mask) {
    constexpr int W = static_cast<int>(sizeof(F) / sizeof(S));
    lane_u<F> bit;
    const F up = trunc_half_unit<F>(w, bit);
    decltype(F{} < F{}) tail;
    F z = trunc_centre_z(up, bit, p, tail);
    mask = Isa::mask(tail);
    if (2 * __builtin_popcount(mask) > W) {
      z = select(tail, trunc_tail_z(up, bit, p), z);
      mask = 0;
    }
    return trunc_finish(z, p);
  }

  static void trunc32(const trunc_params<float>& p, const stream_id& s, uint64_t j,
                      int64_t count, float* out) {
    tail_batch<uint32_t> q;
    U32 lane4;
    for (int b = 0; b < B; ++b) lane4[b] = static_cast<uint32_t>(4 * b);
    for (int64_t g0 = 0; g0 < count; g0 += kTruncGroups) {
      const int64_t gn = std::min<int64_t>(kTruncGroups, count - g0);
      float* batch = out + g0 * 8 * B;
      for (int64_t g = 0; g < gn; ++g, j += 2 * B) {
        ctr x[2];
        Isa::philox2(s, j, x[0], x[1]);
        for (int h = 0; h < 2; ++h) {
          const uint32_t base = static_cast<uint32_t>((2 * g + h) * 4 * B);
          F32 a[4];
          unsigned mask[4];
#pragma GCC unroll 4
          for (int l = 0; l < 4; ++l) a[l] = trunc_centre<F32>(Isa::words(x[h], l), p, mask[l]);
          Isa::transpose_store(a, batch + base, false);  // the centre values; the tails later
          for (int l = 0; l < 4; ++l)
            q.push(mask[l], Isa::words(x[h], l), lane4 + (base + static_cast<uint32_t>(l)));
        }
      }
      q.template finish<F32>(p, batch);
    }
  }

  static void trunc64(const trunc_params<double>& p, const stream_id& s, uint64_t j,
                      int64_t count, double* out) {
    tail_batch<uint64_t> q;
    U64 offs[4];
    for (int l = 0; l < 4; ++l)
      for (int b = 0; b < B / 2; ++b) offs[l][b] = static_cast<uint64_t>(offset64(l, b));
    for (int64_t g0 = 0; g0 < count; g0 += kTruncGroups) {
      const int64_t gn = std::min<int64_t>(kTruncGroups, count - g0);
      double* batch = out + g0 * 4 * B;
      for (int64_t g = 0; g < gn; ++g, j += 2 * B) {
        ctr x[2];
        Isa::philox2(s, j, x[0], x[1]);
        for (int h = 0; h < 2; ++h) {
          const uint64_t base = static_cast<uint64_t>((2 * g + h) * 2 * B);
          U64 w[4];
          Isa::words64(x[h], w);
          F64 v[4];
          unsigned mask[4];
#pragma GCC unroll 4
          for (int l = 0; l < 4; ++l) v[l] = trunc_centre<F64>(w[l], p, mask[l]);
          Isa::store64(v, batch + base, false);
          for (int l = 0; l < 4; ++l) q.push(mask[l], w[l], offs[l] + base);
        }
      }
      q.template finish<F64>(p, batch);
    }
  }

  // Elements [first, first + n) from whole steps of 2 B blocks: `whole(j, steps, out)` writes
  // the values of blocks j .. j + 2 B steps - 1; partial steps at either end go through a
  // scratch buffer.
  template <int P, class V, class Whole>
  static void run_blocks(const Whole& whole, uint64_t first, int64_t n, V* buf) {
    constexpr int64_t kStep = 2 * B * P;
    alignas(64) V tmp[kStep];
    uint64_t j = first / P;
    int64_t skip = static_cast<int64_t>(first % P);
    int64_t done = 0;
    while (done < n) {
      if (skip == 0 && n - done >= kStep) {
        const int64_t steps = (n - done) / kStep;
        whole(j, steps, buf + done);
        j += 2 * B * static_cast<uint64_t>(steps);
        done += steps * kStep;
      } else {
        whole(j, 1, tmp);
        const int64_t take = std::min<int64_t>(kStep - skip, n - done);
        std::memcpy(buf + done, tmp + skip, sizeof(V) * static_cast<size_t>(take));
        j += 2 * B;
        done += take;
        skip = 0;
      }
    }
  }

  template <int P, class G, class V>
  static void run(const G& g, const stream_id& s, uint64_t first, int64_t n, V* buf, bool nt) {
    run_blocks<P>(
        [&](uint64_t j, int64_t steps, V* out) {
          for (int64_t k = 0; k < steps; ++k, j += 2 * B, out += 2 * G::kValues) {
            ctr a, b;
            Isa::philox2(s, j, a, b);
            g(a, out, nt);
            g(b, out + G::kValues, nt);
          }
        },
        first, n, buf);
  }

  template <int P, class Params, class V, class Fn>
  static void run_trunc(Fn fn, const Params& p, const stream_id& s, uint64_t first, int64_t n,
                        V* buf) {
    run_blocks<P>([&](uint64_t j, int64_t steps, V* out) { fn(p, s, j, steps, out); }, first,
                  n, buf);
  }
};

}  // namespace simd_detail
}  // namespace fastinit

// The exported entry points of one ISA namespace NS (avx2, avx512), for an Isa type.
#define FASTINIT_SIMD_ENTRY_POINTS(NS, ISA)                                                       \
  namespace fastinit {                                                                            \
  namespace NS {                                                                                  \
  using G = simd_detail::groups<ISA>;                                                             \
  void run(const raw_kernel&, const stream_id& s, uint64_t first, int64_t n, uint32_t* buf,      \
           bool nt) {                                                                             \
    G::run<4>(G::raw{}, s, first, n, buf, nt);                                                    \
  }                                                                                               \
  void run(const uniform_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n,         \
           float* buf, bool nt) {                                                                 \
    G::run<4>(G::uniform32{k.p}, s, first, n, buf, nt);                                           \
  }                                                                                               \
  void run(const uniform_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n,        \
           double* buf, bool nt) {                                                                \
    G::run<2>(G::uniform64{k.p}, s, first, n, buf, nt);                                           \
  }                                                                                               \
  void run(const normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n,          \
           float* buf, bool nt) {                                                                 \
    G::run<4>(G::normal32{k.mean, k.std}, s, first, n, buf, nt);                                  \
  }                                                                                               \
  void run(const normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n,         \
           double* buf, bool nt) {                                                                \
    G::run<2>(G::normal64{k.mean, k.std}, s, first, n, buf, nt);                                  \
  }                                                                                               \
  /* nt is ignored: the tail lanes are written twice, so never streamed */                        \
  void run(const trunc_normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n,    \
           float* buf, bool) {                                                                    \
    G::run_trunc<4>(G::trunc32, k.p, s, first, n, buf);                                           \
  }                                                                                               \
  void run(const trunc_normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n,   \
           double* buf, bool) {                                                                   \
    G::run_trunc<2>(G::trunc64, k.p, s, first, n, buf);                                           \
  }                                                                                               \
  }                                                                                               \
  }
