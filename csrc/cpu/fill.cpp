#include "fill.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <emmintrin.h>

#include <atomic>
#include <functional>
#include <type_traits>

#include <fastinit/halfconv.h>
#include "run.h"
#include "simd.h"
#include "thread_pool.h"

namespace fastinit {

namespace {
std::atomic<int> g_simd{-1};  // -1: not chosen yet
}

void fill_dispatch(const array_view& a, const fill_request& r, int nthreads);

simd_kind simd_path() {
  int v = g_simd.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(avx512::supported() ? simd_kind::avx512
                         : avx2::supported() ? simd_kind::avx2
                                             : simd_kind::scalar);
    g_simd.store(v);
  }
  return static_cast<simd_kind>(v);
}

bool set_simd_path(simd_kind k) {
  if (k == simd_kind::avx2 && !avx2::supported()) return false;
  if (k == simd_kind::avx512 && !avx512::supported()) return false;
  g_simd.store(static_cast<int>(k));
  return true;
}

namespace {

constexpr int64_t kTile = 1024;                  // elements computed per inner step
constexpr int64_t kMinPerThread = int64_t{1} << 16;  // below this, one thread does it all
// Fills at least this large bypass the caches (non-temporal stores): larger than a last-level
// cache, the data would not stay there anyway. Measured here: equal at 1 GiB, slower for
// 16-32 MiB buffers that fit in L3 (docs/performance.md).
constexpr int64_t kStreamingBytes = int64_t{64} << 20;

// ---- stores: compute type -> output type --------------------------------------------------

template <class Out>
struct store;

template <>
struct store<float> {
  static void put(char* p, float v) { std::memcpy(p, &v, sizeof v); }
};
template <>
struct store<double> {
  static void put(char* p, double v) { std::memcpy(p, &v, sizeof v); }
};
template <>
struct store<uint32_t> {
  static void put(char* p, uint32_t v) { std::memcpy(p, &v, sizeof v); }
};
struct half_tag { char unused; };      // sizeof 1: marks a 2-byte output
struct bfloat16_tag { char unused; };
template <>
struct store<half_tag> {
  static void put(char* p, float v) {
    const uint16_t h = float_to_half(v);
    std::memcpy(p, &h, sizeof h);
  }
};
template <>
struct store<bfloat16_tag> {
  static void put(char* p, float v) {
    const uint16_t h = float_to_bfloat16(v);
    std::memcpy(p, &h, sizeof h);
  }
};

// ---- walking a strided view in logical C order ---------------------------------------------

class cursor {
 public:
  cursor(const array_view& a, int64_t start) : a_(a), idx_(a.shape.size(), 0), ptr_(a.data) {
    for (int d = static_cast<int>(a.shape.size()) - 1; d >= 0; --d) {
      const int64_t n = a.shape[d];
      idx_[d] = start % n;
      start /= n;
      ptr_ += idx_[d] * a.strides[d];
    }
  }
  char* ptr() const { return ptr_; }
  void next() {
    for (int d = static_cast<int>(idx_.size()) - 1; d >= 0; --d) {
      ptr_ += a_.strides[d];
      if (++idx_[d] < a_.shape[d]) return;
      ptr_ -= a_.strides[d] * a_.shape[d];
      idx_[d] = 0;
    }
  }

 private:
  const array_view& a_;
  std::vector<int64_t> idx_;
  char* ptr_;
};

int64_t element_count(const array_view& a) {
  int64_t n = 1;
  for (int64_t s : a.shape) n *= s;
  return n;
}

bool is_c_contiguous(const array_view& a) {
  int64_t expect = itemsize(a.dtype);
  for (int d = static_cast<int>(a.shape.size()) - 1; d >= 0; --d) {
    if (a.shape[d] != 1 && a.strides[d] != expect) return false;
    expect *= a.shape[d];
  }
  return true;
}

// Values of elements [first, first + n) of the kernel's stream into buf, on the SIMD path
// chosen at run time (every path gives the same values).
template <class K>
void compute_run(const K& k, const stream_id& s, uint64_t first, int64_t n,
                 typename K::value_type* buf, bool nt = false) {
  const simd_kind path = simd_path();
  if (path == simd_kind::avx512) {
    avx512::run(k, s, first, n, buf, nt);
  } else if (path == simd_kind::avx2) {
    avx2::run(k, s, first, n, buf, nt);
  } else {
    scalar_run(k, s, first, n, buf);
  }
}

template <class Out, class V>
void store_contiguous(char* p, const V* buf, int64_t n) {
  if constexpr (std::is_same<Out, half_tag>::value) {
    if (simd_path() != simd_kind::scalar) {
      avx2::store_half(buf, n, reinterpret_cast<uint16_t*>(p));
      return;
    }
  }
  if constexpr (std::is_same<Out, bfloat16_tag>::value) {
    if (simd_path() != simd_kind::scalar) {
      avx2::store_bfloat16(buf, n, reinterpret_cast<uint16_t*>(p));
      return;
    }
  }
  constexpr int64_t isz = sizeof(Out) == 1 ? 2 : sizeof(Out);
  for (int64_t e = 0; e < n; ++e) store<Out>::put(p + e * isz, buf[e]);
}

// Elements [begin, end) of the view (logical indices), one thread's share.
template <class K, class Out>
void fill_share(const K& k, const stream_id& s, const array_view& a, uint64_t first,
                int64_t begin, int64_t end, bool contiguous) {
  using V = typename K::value_type;
  alignas(64) V buf[kTile];
  const int64_t isz = itemsize(a.dtype);
  if (contiguous) {
    constexpr bool direct = sizeof(V) == (sizeof(Out) == 1 ? 2 : sizeof(Out));
    const bool nt = direct && element_count(a) * isz >= kStreamingBytes;
    for (int64_t i = begin; i < end; i += kTile) {
      const int64_t n = std::min(kTile, end - i);
      char* p = a.data + i * isz;
      if (direct) {  // the output type is the compute type: write in place
        compute_run(k, s, first + static_cast<uint64_t>(i), n, reinterpret_cast<V*>(p), nt);
      } else {
        compute_run(k, s, first + static_cast<uint64_t>(i), n, buf);
        store_contiguous<Out>(p, buf, n);
      }
    }
    if (nt) _mm_sfence();  // after any streaming stores of this share (SSE: every x86-64)
    return;
  }
  cursor c(a, begin);
  for (int64_t i = begin; i < end; i += kTile) {
    const int64_t n = std::min(kTile, end - i);
    compute_run(k, s, first + static_cast<uint64_t>(i), n, buf);
    for (int64_t e = 0; e < n; ++e) {
      store<Out>::put(c.ptr(), buf[e]);
      c.next();
    }
  }
}

// The calling thread's interruption check (cpu_fill's `keep_going`), asked between chunks.
thread_local const std::function<bool()>* t_keep_going = nullptr;
thread_local bool t_stopped = false;
constexpr int64_t kChunk = int64_t{1} << 22;  // elements between two interruption checks

template <class F>
void parallel_over_chunk(int64_t begin, int64_t n, int nthreads, const F& share) {
  int64_t want = std::max<int64_t>(1, n / kMinPerThread);
  const int t = static_cast<int>(std::min<int64_t>(std::max(nthreads, 1), want));
  if (t <= 1) {
    share(begin, begin + n);
    return;
  }
  // Static chunks, multiples of the tile (so of every kernel's block), one per thread.
  const int64_t tiles = (n + kTile - 1) / kTile;
  const int64_t per = (tiles + t - 1) / t;
  pool_run(t, t, [&](int id) {
    const int64_t b = std::min(n, id * per * kTile);
    const int64_t e = std::min(n, (id + 1) * per * kTile);
    if (b < e) share(begin + b, begin + e);
  });
}

// share(b, e) over [0, n), on up to nthreads threads, in chunks of kChunk elements with the
// interruption check between them (a Ctrl-C stops a multi-GiB fill within a few ms).
template <class F>
void parallel_over(int64_t n, int nthreads, const F& share) {
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    if (c0 > 0 && t_keep_going != nullptr && !(*t_keep_going)()) {
      t_stopped = true;
      return;
    }
    parallel_over_chunk(c0, std::min(kChunk, n - c0), nthreads, share);
  }
}
// A shard: element e of the view (multi-index i) is element first + sum_d i_d * map[d] of the
// stream. Along the last axis a run of the view is an arithmetic progression of stream
// elements with step map[last]: step 1 is computed in one piece, written straight into a
// contiguous destination; another step computes the span the run covers (at most kSpan
// elements) and takes every step-th value.
template <class K, class Out>
void fill_shard_share(const K& k, const stream_id& s, const array_view& a, uint64_t first,
                      const std::vector<int64_t>& map, int64_t begin, int64_t end) {
  using V = typename K::value_type;
  constexpr int64_t kSpan = 4 * kTile;
  alignas(64) V buf[kSpan];
  const int nd = static_cast<int>(a.shape.size());
  const int64_t last = a.shape[nd - 1];
  const int64_t step = map[nd - 1];
  const int64_t astep = step < 0 ? -step : step;
  const int64_t isz = itemsize(a.dtype);
  const bool contiguous = is_c_contiguous(a);
  constexpr bool direct = sizeof(V) == (sizeof(Out) == 1 ? 2 : sizeof(Out));
  const int64_t run_max = step == 1 ? kTile : std::max<int64_t>(1, (kSpan - 1) / astep + 1);
  const bool nt = direct && contiguous && element_count(a) * isz >= kStreamingBytes;
  const int64_t dstep = a.strides[nd - 1];  // bytes between neighbours along the last axis
  for (int64_t e = begin; e < end;) {
    int64_t rem = e, f = 0, off = 0;  // stream index and byte offset of element e
    for (int d = nd - 1; d >= 0; --d) {
      const int64_t i = rem % a.shape[d];
      f += i * map[d];
      off += i * a.strides[d];
      rem /= a.shape[d];
    }
    const int64_t n = std::min({run_max, last - e % last, end - e});
    const uint64_t f0 = first + static_cast<uint64_t>(f);
    char* dst = a.data + off;
    if (step == 1 && contiguous && direct) {
      compute_run(k, s, f0, n, reinterpret_cast<V*>(dst), nt);
    } else {
      const V* vals = buf;
      int64_t stride = 1;
      if (step == 1) {
        compute_run(k, s, f0, n, buf);
      } else {
        const int64_t span = (n - 1) * astep + 1;
        const uint64_t lo = step > 0 ? f0 : f0 - static_cast<uint64_t>((n - 1) * astep);
        compute_run(k, s, lo, span, buf);
        vals = step > 0 ? buf : buf + span - 1;
        stride = step > 0 ? astep : -astep;
      }
      for (int64_t i = 0; i < n; ++i) store<Out>::put(dst + i * dstep, vals[i * stride]);
    }
    e += n;
  }
  if (nt) _mm_sfence();
}

template <class K, class Out>
void run_kernel(const K& k, const array_view& a, const fill_request& r, int nthreads) {
  const stream_id s = make_stream(r.seed, r.stream, r.extra);
  const int64_t n = element_count(a);
  if (!r.index_map.empty()) {
    parallel_over(n, nthreads, [&](int64_t b, int64_t e) {
      fill_shard_share<K, Out>(k, s, a, r.first, r.index_map, b, e);
    });
    return;
  }
  const bool contiguous = is_c_contiguous(a);
  parallel_over(n, nthreads, [&](int64_t b, int64_t e) {
    fill_share<K, Out>(k, s, a, r.first, b, e, contiguous);
  });
}

// n copies of value at p, with 16-byte non-temporal stores in the aligned middle.
template <class Bits>
void stream_fill(Bits* p, int64_t n, Bits value) {
  int64_t i = 0;
  while (i < n && (reinterpret_cast<uintptr_t>(p + i) & 15) != 0) p[i++] = value;
  constexpr int64_t per = 16 / sizeof(Bits);
  alignas(16) Bits pattern[per];
  for (int64_t k = 0; k < per; ++k) pattern[k] = value;
  const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(pattern));
  for (; i + per <= n; i += per) _mm_stream_si128(reinterpret_cast<__m128i*>(p + i), v);
  for (; i < n; ++i) p[i] = value;
  _mm_sfence();
}

template <class Bits>
void fill_constant(const array_view& a, Bits value, int nthreads) {
  const int64_t n = element_count(a);
  if (is_c_contiguous(a)) {
    Bits* p = reinterpret_cast<Bits*>(a.data);
    const bool nt = n * static_cast<int64_t>(sizeof(Bits)) >= kStreamingBytes;
    const simd_kind path = simd_path();
    alignas(64) unsigned char pattern[64];
    for (size_t k = 0; k < 64; k += sizeof(Bits)) std::memcpy(pattern + k, &value, sizeof(Bits));
    parallel_over(n, nthreads, [&](int64_t b, int64_t e) {
      char* start = reinterpret_cast<char*>(p + b);
      const int64_t bytes = (e - b) * static_cast<int64_t>(sizeof(Bits));
      if (path == simd_kind::avx512) {
        avx512::fill_pattern(start, bytes, pattern, nt);
      } else if (path == simd_kind::avx2) {
        avx2::fill_pattern(start, bytes, pattern, nt);
      } else if (nt) {
        stream_fill(p + b, e - b, value);
      } else {
        std::fill(p + b, p + e, value);
      }
    });
    return;
  }
  parallel_over(n, nthreads, [&](int64_t b, int64_t e) {
    cursor c(a, b);
    for (int64_t i = b; i < e; ++i) {
      std::memcpy(c.ptr(), &value, sizeof value);
      c.next();
    }
  });
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("fastinit._core.fill: " + what);
}

// The parameter count of codes.h (fastinit/_backends/codes.py: PARAM_COUNTS).
void require_params(size_t np, scheme s, const char* name) {
  const int want = param_count(s);
  if (np != static_cast<size_t>(want))
    require(false, std::string(name) + " takes " + std::to_string(want) +
                       (want == 1 ? " parameter" : " parameters"));
}

// Float kernels templated on the compute type, dispatched on the output type.
template <template <class> class KernelOf, class Make32, class Make64>
void run_float_scheme(const array_view& a, const fill_request& r, int nthreads, Make32 make32,
                      Make64 make64) {
  switch (a.dtype) {
    case dtype_code::float32: run_kernel<KernelOf<float>, float>(make32(), a, r, nthreads); break;
    case dtype_code::float64: run_kernel<KernelOf<double>, double>(make64(), a, r, nthreads); break;
    case dtype_code::float16: run_kernel<KernelOf<float>, half_tag>(make32(), a, r, nthreads); break;
    case dtype_code::bfloat16:
      run_kernel<KernelOf<float>, bfloat16_tag>(make32(), a, r, nthreads);
      break;
    default: require(false, "this scheme needs a floating-point output");
  }
}

}  // namespace

bool cpu_fill(const array_view& a, const fill_request& r, int nthreads,
              const std::function<bool()>& keep_going) {
  t_keep_going = keep_going ? &keep_going : nullptr;
  t_stopped = false;
  struct reset {
    ~reset() { t_keep_going = nullptr; }
  } reset_on_exit;
  fill_dispatch(a, r, nthreads);
  return !t_stopped;
}

void fill_dispatch(const array_view& a, const fill_request& r, int nthreads) {
  require(a.shape.size() == a.strides.size(), "shape and strides differ in length");
  require(r.index_map.empty() || r.index_map.size() == a.shape.size(),
          "index_map needs one entry per dimension");
  for (int64_t s : a.shape) require(s >= 0, "negative dimension");
  if (element_count(a) == 0) return;
  const double* v = r.params.data();
  const size_t np = r.params.size();
  switch (r.kind) {
    case scheme::raw:
      require(a.dtype == dtype_code::uint32, "raw words need a uint32 output");
      run_kernel<raw_kernel, uint32_t>(raw_kernel{}, a, r, nthreads);
      return;
    case scheme::constant: {
      require_params(np, scheme::constant, "constant");
      switch (a.dtype) {
        case dtype_code::float32: fill_constant(a, static_cast<float>(v[0]), nthreads); break;
        case dtype_code::float64: fill_constant(a, v[0], nthreads); break;
        case dtype_code::float16:
          fill_constant(a, float_to_half(static_cast<float>(v[0])), nthreads);
          break;
        case dtype_code::bfloat16:
          fill_constant(a, float_to_bfloat16(static_cast<float>(v[0])), nthreads);
          break;
        default: require(false, "constant needs a floating-point output");
      }
      return;
    }
    case scheme::uniform:
      require_params(np, scheme::uniform, "uniform");
      run_float_scheme<uniform_kernel>(
          a, r, nthreads, [&] { return uniform_kernel<float>{make_uniform_params<float>(v)}; },
          [&] { return uniform_kernel<double>{make_uniform_params<double>(v)}; });
      return;
    case scheme::normal:
      require_params(np, scheme::normal, "normal");
      run_float_scheme<normal_kernel>(
          a, r, nthreads,
          [&] { return normal_kernel<float>{static_cast<float>(v[0]), static_cast<float>(v[1])}; },
          [&] { return normal_kernel<double>{v[0], v[1]}; });
      return;
    case scheme::trunc_normal:
      require_params(np, scheme::trunc_normal, "trunc_normal");
      run_float_scheme<trunc_normal_kernel>(
          a, r, nthreads, [&] { return trunc_normal_kernel<float>{make_trunc_params<float>(v)}; },
          [&] { return trunc_normal_kernel<double>{make_trunc_params<double>(v)}; });
      return;
  }
  require(false, "unknown scheme");
}

}  // namespace fastinit
