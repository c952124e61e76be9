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
//   to the front), expand(mask, v, src) (the masked lanes of v replaced by src[0], src[1], ...).
//
// Only vector code runs here: no scalar kernel of the baseline unit is instantiated, because an
// inline function compiled here too, with wider ISA flags, could be the copy the linker keeps
// for the baseline path (tools/check_simd_symbols.py checks it).
#pragma once
#include <algorithm>
#include <cstring>
#include <limits>

#include <fastinit/kernels.h>
#include "pack.h"

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
  // Three passes over a batch of kTruncGroups counter-vector pairs, in L1-sized scratch:
  //   1. the centre piece of every lane, kept in lane order; the words of the lanes that need
  //      the tail instead (log, sqrt, rational) are compressed onto a queue;
  //   2. the queued lanes a whole vector at a time, kTailPack vectors in lockstep (pack.h), so
  //      that their long chains (log, sqrt, two divisions) overlap;
  //   3. each vector's tail values expanded back into its lanes (the queue is in lane order),
  //      then the vectors transposed and stored once, streamed where the caller asks.
  // A vector that is mostly tail is computed in place in pass 1. Same operations per lane as
  // trunc_normal_value.

  static constexpr int kTruncGroups = 8;
  // Queued vectors per pack in pass 2: 8 measured +7% (float64) and +4% (float32) against 4
  // vectors one after the other, on AVX-512 and AVX2 alike; packs in passes 1 and 3, or for the
  // normal, were slower (more registers live).
  static constexpr int kTailPack = 8;

  // The words (float32: Isa::words; float64: Isa::words64) and the store of one counter vector.
  static void load_words(const ctr& x, U32 w[4]) {
    for (int l = 0; l < 4; ++l) w[l] = Isa::words(x, l);
  }
  static void load_words(const ctr& x, U64 w[4]) { Isa::words64(x, w); }
  static void store_values(const F32 v[4], float* out, bool nt) { Isa::transpose_store(v, out, nt); }
  static void store_values(const F64 v[4], double* out, bool nt) { Isa::store64(v, out, nt); }

  // The values of one vector of words, from the centre piece; `mask` gets the lanes that need
  // the tail instead, for the queue. A vector that is mostly tail is finished here (mask 0).
  template <class F, bool Sym, class S>
  static F trunc_centre(const lane_u<F>& w, const trunc_params<S>& p, unsigned& mask) {
    constexpr int W = static_cast<int>(sizeof(F) / sizeof(S));
    lane_u<F> bit;
    const F up = trunc_half_unit<F>(w, bit);
    decltype(F{} < F{}) tail;
    F z = trunc_centre_z<F, S, Sym>(up, bit, p, tail);
    mask = Isa::mask(tail);
    if (2 * __builtin_popcount(mask) > W) {
      z = select(tail, trunc_tail_z<F, S, Sym>(up, bit, p), z);
      mask = 0;
    }
    return trunc_finish(z, p);
  }

  template <class F, bool Sym, class S>
  static F trunc_tail(const lane_u<F>& w, const trunc_params<S>& p) {
    lane_u<F> bit;
    const F up = trunc_half_unit<F>(w, bit);
    return trunc_finish(trunc_tail_z<F, S, Sym>(up, bit, p), p);
  }

  // Blocks j .. j + 2 B count - 1 of the truncated normal into out (4 W values per vector).
  template <class F, bool Sym, class S>
  static void trunc(const trunc_params<S>& p, const stream_id& s, uint64_t j, int64_t count,
                    S* out, bool nt) {
    using UW = lane_u<F>;
    constexpr int W = static_cast<int>(sizeof(F) / sizeof(S));
    constexpr int kVectors = kTruncGroups * 8;           // word vectors per batch
    constexpr int kQueue = (kVectors + kTailPack) * W;   // every lane, + padding to a pack
    alignas(64) F centre[kVectors];
    unsigned masks[kVectors];
    alignas(64) lane_u<S> word[kQueue];  // queued words (pass 1)
    alignas(64) S value[kQueue];  // their tail values (pass 2)
    // Both branches central (q-representation, TH = -inf): no lane ever needs the tail.
    const bool central = p.br[0].th == -std::numeric_limits<S>::infinity() &&
                         p.br[1].th == -std::numeric_limits<S>::infinity();
    for (int64_t g0 = 0; g0 < count; g0 += kTruncGroups) {
      const int gn = static_cast<int>(std::min<int64_t>(kTruncGroups, count - g0));
      int n = 0;
      for (int g = 0; g < gn; ++g, j += 2 * B) {
        ctr x[2];
        Isa::philox2(s, j, x[0], x[1]);
        for (int h = 0; h < 2; ++h) {
          UW w[4];
          load_words(x[h], w);
#pragma GCC unroll 4
          for (int l = 0; l < 4; ++l) {
            const int i = (2 * g + h) * 4 + l;
            unsigned m;
            centre[i] = trunc_centre<F, Sym>(w[l], p, m);
            masks[i] = m;
            if (central) continue;
            const UW cw = Isa::compress(m, w[l]);
            std::memcpy(word + n, &cw, sizeof cw);
            n += __builtin_popcount(m);
          }
        }
      }
      if (n > 0) {
        for (int i = n; i % (kTailPack * W) != 0; ++i) word[i] = word[0];  // valid input, result unused
        for (int k = 0; k < n; k += kTailPack * W) {
          using P = pack<F, kTailPack>;
          lane_u<P> w;
          std::memcpy(&w, word + k, sizeof w);
          const P v = trunc_tail<P, Sym>(w, p);
          std::memcpy(value + k, &v, sizeof v);
        }
      }
      S* batch = out + g0 * 8 * W;
      int t = 0;
      for (int v = 0; v < 2 * gn; ++v) {
        F a[4];
        for (int l = 0; l < 4; ++l) {
          if (n == 0) {  // no tail lane in this batch
            a[l] = centre[4 * v + l];
            continue;
          }
          const unsigned m = masks[4 * v + l];
          a[l] = Isa::expand(m, centre[4 * v + l], value + t);
          t += __builtin_popcount(m);
        }
        store_values(a, batch + v * 4 * W, nt);
      }
    }
  }

  // Elements [first, first + n) from whole steps of 2 B blocks: `whole(j, steps, out, direct)`
  // writes the values of blocks j .. j + 2 B steps - 1; partial steps at either end go through
  // a scratch buffer (direct = false: never streamed, it is read back at once).
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
        whole(j, steps, buf + done, true);
        j += 2 * B * static_cast<uint64_t>(steps);
        done += steps * kStep;
      } else {
        whole(j, 1, tmp, false);
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
        [&](uint64_t j, int64_t steps, V* out, bool direct) {
          const bool stream = nt && direct;
          for (int64_t k = 0; k < steps; ++k, j += 2 * B, out += 2 * G::kValues) {
            ctr a, b;
            Isa::philox2(s, j, a, b);
            g(a, out, stream);
            g(b, out + G::kValues, stream);
          }
        },
        first, n, buf);
  }

  template <int P, class F, class S>
  static void run_trunc(const trunc_params<S>& p, const stream_id& s, uint64_t first, int64_t n,
                        S* buf, bool nt) {
    if (trunc_symmetric(p)) {
      run_blocks<P>(
          [&](uint64_t j, int64_t steps, S* out, bool direct) {
            trunc<F, true>(p, s, j, steps, out, nt && direct);
          },
          first, n, buf);
    } else {
      run_blocks<P>(
          [&](uint64_t j, int64_t steps, S* out, bool direct) {
            trunc<F, false>(p, s, j, steps, out, nt && direct);
          },
          first, n, buf);
    }
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
  void run(const trunc_normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n,    \
           float* buf, bool nt) {                                                                 \
    G::run_trunc<4, G::F32>(k.p, s, first, n, buf, nt);                                           \
  }                                                                                               \
  void run(const trunc_normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n,   \
           double* buf, bool nt) {                                                                \
    G::run_trunc<2, G::F64>(k.p, s, first, n, buf, nt);                                           \
  }                                                                                               \
  }                                                                                               \
  }
