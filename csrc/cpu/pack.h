// pack<V, N>: N SIMD vectors that every operation of transforms.h applies to one after the
// other, so that the N vectors' dependency chains advance together. A loop over the vectors
// would instead run one long chain (log, sqrt, division, polynomials) to its end before the
// next, and the out-of-order window overlaps only part of two such chains. Each lane sees the
// same operations in the same order as with one vector: the same values.
//
// lane<pack<V, N>> is built from lane<V>, so a pack works wherever the transforms take a lane
// type; the SIMD loops (simd_impl.h) use it for the lanes that need the truncated-normal tail.
#pragma once
#include <type_traits>

#include <fastinit/lanes.h>

namespace fastinit {

template <class V, int N>
struct pack {
  V v[N];
};

template <class V>
using compare_t = decltype(V{} < V{});

template <class S>
using if_scalar = typename std::enable_if<std::is_arithmetic<S>::value, int>::type;

#define FASTINIT_PACK_OP(OP, RESULT)                                                   \
  template <class V, int N>                                                            \
  inline pack<RESULT, N> operator OP(const pack<V, N>& a, const pack<V, N>& b) {       \
    pack<RESULT, N> r;                                                                 \
    for (int i = 0; i < N; ++i) r.v[i] = a.v[i] OP b.v[i];                             \
    return r;                                                                          \
  }                                                                                    \
  template <class V, int N, class S, if_scalar<S> = 0>                                 \
  inline pack<RESULT, N> operator OP(const pack<V, N>& a, S b) {                       \
    pack<RESULT, N> r;                                                                 \
    for (int i = 0; i < N; ++i) r.v[i] = a.v[i] OP b;                                  \
    return r;                                                                          \
  }                                                                                    \
  template <class V, int N, class S, if_scalar<S> = 0>                                 \
  inline pack<RESULT, N> operator OP(S a, const pack<V, N>& b) {                       \
    pack<RESULT, N> r;                                                                 \
    for (int i = 0; i < N; ++i) r.v[i] = a OP b.v[i];                                  \
    return r;                                                                          \
  }

FASTINIT_PACK_OP(+, V)
FASTINIT_PACK_OP(-, V)
FASTINIT_PACK_OP(*, V)
FASTINIT_PACK_OP(/, V)
FASTINIT_PACK_OP(&, V)
FASTINIT_PACK_OP(^, V)
FASTINIT_PACK_OP(>>, V)
FASTINIT_PACK_OP(<<, V)
FASTINIT_PACK_OP(<, compare_t<V>)
FASTINIT_PACK_OP(>, compare_t<V>)
#undef FASTINIT_PACK_OP

template <class V, int N>
inline pack<V, N> operator-(const pack<V, N>& a) {
  pack<V, N> r;
  for (int i = 0; i < N; ++i) r.v[i] = -a.v[i];
  return r;
}

template <class M, class V, int N>
inline pack<V, N> select(const pack<M, N>& m, const pack<V, N>& a, const pack<V, N>& b) {
  pack<V, N> r;
  for (int i = 0; i < N; ++i) r.v[i] = m.v[i] ? a.v[i] : b.v[i];
  return r;
}

template <class V, int N>
struct lane<pack<V, N>> {
  using L = lane<V>;
  using U = pack<typename L::U, N>;
  using I = pack<typename L::I, N>;
  using S = typename L::S;
  static constexpr bool kSingle = L::kSingle;

  template <class To, class From, class Fn>
  static pack<To, N> map(const From& a, Fn fn) {
    pack<To, N> r;
    for (int i = 0; i < N; ++i) r.v[i] = fn(a.v[i]);
    return r;
  }
  static pack<V, N> splat(S s) {
    pack<V, N> r;
    for (int i = 0; i < N; ++i) r.v[i] = L::splat(s);
    return r;
  }
  static pack<V, N> from_bits(const U& u) {
    return map<V>(u, [](typename L::U x) { return L::from_bits(x); });
  }
  static U to_bits(const pack<V, N>& x) {
    return map<typename L::U>(x, [](V y) { return L::to_bits(y); });
  }
  static I to_signed(const U& u) {
    return map<typename L::I>(u, [](typename L::U x) { return L::to_signed(x); });
  }
  static pack<V, N> cvt(const I& i) {
    return map<V>(i, [](typename L::I x) { return L::cvt(x); });
  }
  static pack<V, N> sqrt(const pack<V, N>& x) {
    return map<V>(x, [](V y) { return L::sqrt(y); });
  }
  template <class Fn>
  static pack<V, N> zip(const pack<V, N>& a, const pack<V, N>& b, Fn fn) {
    pack<V, N> r;
    for (int i = 0; i < N; ++i) r.v[i] = fn(a.v[i], b.v[i]);
    return r;
  }
  static pack<V, N> max_first(const pack<V, N>& a, const pack<V, N>& b) {
    return zip(a, b, [](V x, V y) { return L::max_first(x, y); });
  }
  static pack<V, N> min_first(const pack<V, N>& a, const pack<V, N>& b) {
    return zip(a, b, [](V x, V y) { return L::min_first(x, y); });
  }
  template <class M>
  static bool any(const pack<M, N>& m) {
    bool r = false;
    for (int i = 0; i < N; ++i) r |= L::any(m.v[i]);
    return r;
  }
};

}  // namespace fastinit
