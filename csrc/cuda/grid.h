// The CUDA fill as plain C++: what each thread of a launch does, as FASTINIT_HD functions of
// (thread index, thread count, launch parameters, memory), and the host-side choices around it
// (layout, scheme dispatch, launch size). Two callers: the __global__ kernels of fill.cu, on
// the device, and the emulator of emulate.cpp, which walks every block and thread of a launch
// on the CPU (built into fastinit._core with the host compiler, for the tests: no CUDA here).
//
// No CUDA type or intrinsic outside `#if FASTINIT_DEVICE`, so g++ compiles this file.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <fastinit/halfconv.h>
#include <fastinit/kernels.h>

namespace fastinit {
namespace grid {

// Loops over a block's lanes, fully unrolled on the device so that a block's values stay in
// registers (an indexed lane would put them in local memory).
#if defined(__CUDACC__)
#define FASTINIT_UNROLL _Pragma("unroll")
#else
#define FASTINIT_UNROLL
#endif

constexpr int kMaxDims = 32;
constexpr unsigned kBlockThreads = 256;        // threads per CUDA block
constexpr uint64_t kMaxBlocks = 65535u * 16u;  // at most this many blocks (grid-stride beyond)

// ---- what a launch writes ------------------------------------------------------------------

// The destination view and, for a shard of a larger tensor, its index map. Passed by value to
// the kernels (about 1.1 KB of kernel parameters; the limit is 4 KB).
struct launch {
  char* base;      // address of the element at multi-index (0, ..., 0)
  int ndim;        // 1 .. kMaxDims
  bool contiguous;  // C-contiguous: element e at base + e * itemsize
  bool sharded;     // index_map given: element (i_0, ..., i_k) is stream element
                    // first + sum_d i_d * index_map[d]; otherwise element e is first + e
  int64_t itemsize;
  int64_t n;        // elements
  uint64_t first;   // stream element of the view's element 0
  stream_id s;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];    // bytes, may be negative
  int64_t index_map[kMaxDims];  // stream-element step per dimension (sharded only)
  // Sharded: the view is `rows` runs along its last axis, each of `len` elements whose stream
  // elements step by `step`; a run has `per_row` work items (Philox blocks when |step| == 1,
  // elements otherwise).
  int64_t rows, len, step, per_row;
};

// Host: the launch for a validated fill (throws std::invalid_argument on a request that is
// not memory-safe to run). `index_map` empty: not sharded.
inline launch make_launch(int dtype, uintptr_t data, const std::vector<int64_t>& shape,
                          const std::vector<int64_t>& strides, uint64_t seed, uint32_t stream,
                          uint32_t extra, uint64_t first, const std::vector<int64_t>& index_map,
                          const char* who) {
  const auto fail = [who](const char* what) {
    throw std::invalid_argument(std::string(who) + ": " + what);
  };
  if (dtype < 0 || dtype > static_cast<int>(dtype_code_max)) fail("bad dtype code");
  if (shape.size() != strides.size() || shape.empty() || shape.size() > kMaxDims)
    fail("shape and strides must have 1 to 32 dimensions");
  if (!index_map.empty() && index_map.size() != shape.size())
    fail("index_map needs one entry per dimension");
  launch P{};
  P.base = reinterpret_cast<char*>(data);
  P.ndim = static_cast<int>(shape.size());
  P.itemsize = itemsize(static_cast<dtype_code>(dtype));
  P.first = first;
  P.s = make_stream(seed, stream, extra);
  P.n = 1;
  for (int d = 0; d < P.ndim; ++d) {
    if (shape[d] < 0) fail("negative dimension");
    P.shape[d] = shape[d];
    P.strides[d] = strides[d];
    P.n *= shape[d];
  }
  int64_t expect = P.itemsize;
  P.contiguous = true;
  for (int d = P.ndim - 1; d >= 0; --d) {
    if (P.shape[d] != 1 && P.strides[d] != expect) P.contiguous = false;
    expect *= P.shape[d];
  }
  P.sharded = !index_map.empty();
  if (P.sharded) {
    for (int d = 0; d < P.ndim; ++d) P.index_map[d] = index_map[d];
    P.len = P.shape[P.ndim - 1];
    P.rows = P.len > 0 ? P.n / P.len : 0;
    P.step = P.index_map[P.ndim - 1];
  }
  return P;
}

// Work items of a launch: Philox blocks of the stream span (not sharded), or rows x per_row
// (sharded). Sets P.per_row.
template <int PerBlock>
inline uint64_t work_items(launch& P) {
  if (P.n == 0) return 0;
  if (!P.sharded) {
    const uint64_t j0 = P.first / PerBlock;
    const uint64_t j1 = (P.first + static_cast<uint64_t>(P.n) - 1) / PerBlock;
    return j1 - j0 + 1;
  }
  // A run of len consecutive stream elements spans at most (len + P - 2) / P + 1 blocks.
  P.per_row = (P.step == 1 || P.step == -1) ? (P.len + PerBlock - 2) / PerBlock + 1 : P.len;
  return static_cast<uint64_t>(P.rows) * static_cast<uint64_t>(P.per_row);
}

// The grid of a launch of `work` items: one item per thread, at most kMaxBlocks blocks.
inline unsigned blocks_for(uint64_t work) {
  const uint64_t blocks = (work + kBlockThreads - 1) / kBlockThreads;
  return static_cast<unsigned>(blocks < kMaxBlocks ? (blocks > 0 ? blocks : 1) : kMaxBlocks);
}

// ---- output types ---------------------------------------------------------------------------

struct half_out {};
struct bfloat16_out {};

// Out -> the bits stored for a computed value v (float, double or uint32).
template <class Out>
struct out_bits {
  using type = Out;
  FASTINIT_HD static Out of(Out v) { return v; }
};
template <>
struct out_bits<half_out> {
  using type = uint16_t;
  FASTINIT_HD static uint16_t of(float v) { return float_to_half(v); }
};
template <>
struct out_bits<bfloat16_out> {
  using type = uint16_t;
  FASTINIT_HD static uint16_t of(float v) { return float_to_bfloat16(v); }
};

// ---- one thread's work ------------------------------------------------------------------------
// `Mem` stores: mem.put(char* p, T bits) and mem.put16(char* p, const void* sixteen_bytes) (p
// 16-byte aligned). On the device, plain stores; in the emulator, checked ones.

FASTINIT_HD char* address(const launch& P, int64_t e) {
  if (P.contiguous) return P.base + e * P.itemsize;
  int64_t off = 0;
  for (int d = P.ndim - 1; d >= 0; --d) {
    const int64_t n = P.shape[d];
    off += (e % n) * P.strides[d];
    e /= n;
  }
  return P.base + off;
}

// A whole block of values into Count consecutive elements at p: one 16-byte store where the
// block is 16 bytes of the output type and p is 16-byte aligned, else element by element.
template <class Out, class V, int Count, class Mem>
FASTINIT_HD void put_run(Mem& mem, char* p, const V* v) {
  using B = typename out_bits<Out>::type;
  if constexpr (sizeof(B) == sizeof(V) && Count * sizeof(B) == 16) {
    if ((reinterpret_cast<uintptr_t>(p) & 15) == 0) {
      mem.put16(p, v);
      return;
    }
  }
  for (int l = 0; l < Count; ++l)
    mem.put(p + l * static_cast<int64_t>(sizeof(B)), out_bits<Out>::of(v[l]));
}

// Not sharded: thread t computes Philox blocks j0 + t, j0 + t + T, ... (T threads in all) and
// writes the elements of each that lie in [first, first + n).
template <class K, class Out, class Mem>
FASTINIT_HD void fill_thread(const K& k, const launch& P, uint64_t thread, uint64_t threads,
                             Mem& mem) {
  constexpr int PB = K::kPerBlock;
  using V = typename K::value_type;
  const uint64_t j0 = P.first / PB;
  const uint64_t work = (P.first + static_cast<uint64_t>(P.n) - 1) / PB - j0 + 1;
  for (uint64_t w = thread; w < work; w += threads) {
    const uint64_t j = j0 + w;
    alignas(16) V v[PB];
    k.block(stream_block(P.s, j), v);
    const int64_t e0 = static_cast<int64_t>(j * PB - P.first);  // element of v[0] (may be < 0)
    if (P.contiguous && e0 >= 0 && e0 + PB <= P.n) {
      put_run<Out, V, PB>(mem, P.base + e0 * P.itemsize, v);
      continue;
    }
    for (int l = 0; l < PB; ++l) {
      const int64_t e = e0 + l;
      if (e >= 0 && e < P.n) mem.put(address(P, e), out_bits<Out>::of(v[l]));
    }
  }
}

// Sharded: work item w is (row r = w / per_row, c = w % per_row). Row r starts at byte offset
// off and stream element f0; its element i is stream element f0 + i * step. |step| == 1: item c
// is the c-th Philox block of the row's stream span (16-byte stores where the destination row
// is contiguous and aligned); otherwise item c is element c, computed from its own block.
template <class K, class Out, class Mem>
FASTINIT_HD void shard_thread(const K& k, const launch& P, uint64_t thread, uint64_t threads,
                              Mem& mem) {
  constexpr int PB = K::kPerBlock;
  using V = typename K::value_type;
  const uint64_t work = static_cast<uint64_t>(P.rows) * static_cast<uint64_t>(P.per_row);
  const int last = P.ndim - 1;
  const int64_t dstep = P.strides[last];
  for (uint64_t w = thread; w < work; w += threads) {
    const int64_t r = static_cast<int64_t>(w / static_cast<uint64_t>(P.per_row));
    const int64_t c = static_cast<int64_t>(w % static_cast<uint64_t>(P.per_row));
    int64_t rem = r, f = 0, off = 0;
    for (int d = last - 1; d >= 0; --d) {
      const int64_t i = rem % P.shape[d];
      f += i * P.index_map[d];
      off += i * P.strides[d];
      rem /= P.shape[d];
    }
    const uint64_t f0 = P.first + static_cast<uint64_t>(f);
    char* row = P.base + off;
    if (P.step == 1 || P.step == -1) {
      const uint64_t lo = P.step > 0 ? f0 : f0 - static_cast<uint64_t>(P.len - 1);
      const uint64_t hi = lo + static_cast<uint64_t>(P.len);  // exclusive
      const uint64_t j = lo / PB + static_cast<uint64_t>(c);
      if (j * PB >= hi) continue;  // this row spans fewer blocks than per_row
      alignas(16) V v[PB];
      k.block(stream_block(P.s, j), v);
      if (P.step == 1 && dstep == P.itemsize && j * PB >= lo && j * PB + PB <= hi) {
        put_run<Out, V, PB>(mem, row + static_cast<int64_t>(j * PB - lo) * dstep, v);
        continue;
      }
      FASTINIT_UNROLL
      for (int l = 0; l < PB; ++l) {
        const uint64_t g = j * PB + l;
        if (g < lo || g >= hi) continue;
        const int64_t i = P.step > 0 ? static_cast<int64_t>(g - f0) : static_cast<int64_t>(f0 - g);
        mem.put(row + i * dstep, out_bits<Out>::of(v[l]));
      }
    } else {
      const uint64_t g = f0 + static_cast<uint64_t>(c * P.step);
      alignas(16) V v[PB];
      k.block(stream_block(P.s, g / PB), v);
      const int lane = static_cast<int>(g % PB);
      V value = v[0];
      FASTINIT_UNROLL
      for (int l = 1; l < PB; ++l)  // a select, not an indexed load: v stays in registers
        if (l == lane) value = v[l];
      mem.put(row + c * dstep, out_bits<Out>::of(value));
    }
  }
}

// The same value into every element (the constant scheme; a shard's index map is irrelevant).
template <class Bits, class Mem>
FASTINIT_HD void constant_thread(Bits value, const launch& P, uint64_t thread, uint64_t threads,
                                 Mem& mem) {
  for (uint64_t e = thread; e < static_cast<uint64_t>(P.n); e += threads)
    mem.put(address(P, static_cast<int64_t>(e)), value);
}

// ---- scheme and dtype dispatch (host) ----------------------------------------------------------
// Calls visitor.template stream<K, Out>(kernel) for the stream schemes, or
// visitor.template constant<Bits>(bits) for the constant; throws std::invalid_argument for a
// code, parameter count or dtype the scheme cannot take.

template <template <class> class KernelOf, class Visitor, class Make32, class Make64>
void visit_float(int dtype, Visitor& v, Make32 make32, Make64 make64, const char* who) {
  switch (static_cast<dtype_code>(dtype)) {
    case dtype_code::float32: v.template stream<KernelOf<float>, float>(make32()); return;
    case dtype_code::float64: v.template stream<KernelOf<double>, double>(make64()); return;
    case dtype_code::float16: v.template stream<KernelOf<float>, half_out>(make32()); return;
    case dtype_code::bfloat16: v.template stream<KernelOf<float>, bfloat16_out>(make32()); return;
    default:
      throw std::invalid_argument(std::string(who) + ": this scheme needs a floating-point output");
  }
}

template <class Visitor>
void visit_scheme(int kind, int dtype, const std::vector<double>& params, Visitor& v,
                  const char* who) {
  const auto fail = [who](const std::string& what) {
    throw std::invalid_argument(std::string(who) + ": " + what);
  };
  if (kind < 0 || kind > static_cast<int>(scheme_max)) fail("bad scheme code");
  if (dtype < 0 || dtype > static_cast<int>(dtype_code_max)) fail("bad dtype code");
  const scheme sc = static_cast<scheme>(kind);
  if (sc != scheme::raw && params.size() != static_cast<size_t>(param_count(sc)))
    fail("scheme " + std::to_string(kind) + " takes " + std::to_string(param_count(sc)) +
         " parameters, got " + std::to_string(params.size()));
  const double* p = params.data();
  switch (sc) {
    case scheme::raw:
      if (dtype != static_cast<int>(dtype_code::uint32)) fail("raw words need a uint32 output");
      v.template stream<raw_kernel, uint32_t>(raw_kernel{});
      return;
    case scheme::constant: {
      const float f = static_cast<float>(p[0]);
      switch (static_cast<dtype_code>(dtype)) {
        case dtype_code::float32: v.template constant<float>(f); return;
        case dtype_code::float64: v.template constant<double>(p[0]); return;
        case dtype_code::float16: v.template constant<uint16_t>(float_to_half(f)); return;
        case dtype_code::bfloat16: v.template constant<uint16_t>(float_to_bfloat16(f)); return;
        default: fail("constant needs a floating-point output");
      }
      return;
    }
    case scheme::uniform:
      visit_float<uniform_kernel>(
          dtype, v, [&] { return uniform_kernel<float>{make_uniform_params<float>(p)}; },
          [&] { return uniform_kernel<double>{make_uniform_params<double>(p)}; }, who);
      return;
    case scheme::normal:
      visit_float<normal_kernel>(
          dtype, v,
          [&] { return normal_kernel<float>{static_cast<float>(p[0]), static_cast<float>(p[1])}; },
          [&] { return normal_kernel<double>{p[0], p[1]}; }, who);
      return;
    case scheme::trunc_normal:
      visit_float<trunc_normal_kernel>(
          dtype, v, [&] { return trunc_normal_kernel<float>{make_trunc_params<float>(p)}; },
          [&] { return trunc_normal_kernel<double>{make_trunc_params<double>(p)}; }, who);
      return;
  }
  fail("unknown scheme");
}

}  // namespace grid
}  // namespace fastinit
