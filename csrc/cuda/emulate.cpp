// The CUDA fill executed on the CPU (emulate.h): grid.h's per-thread functions, called for
// every (block, thread) of the launch in turn, with checked stores. Compiled by the host
// compiler into fastinit._core; test code only, never on a fill's path.
#include "emulate.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "grid.h"

namespace fastinit {
namespace cuda_emulation {
namespace {

// Stores into host memory, each checked first: within [lo, hi) (the bytes the view spans) and
// aligned as the device requires. Optionally counts the writes of every byte.
class checked_memory {
 public:
  checked_memory(uintptr_t lo, uintptr_t hi, bool track) : lo_(lo), hi_(hi) {
    if (track) counts_.assign(static_cast<size_t>(hi - lo), 0);
  }

  template <class T>
  void put(char* p, T v) {
    check(p, sizeof(T), sizeof(T));
    std::memcpy(p, &v, sizeof(T));
    ++stores;
  }
  void put16(char* p, const void* v) {
    check(p, 16, 16);
    std::memcpy(p, v, 16);
    ++wide_stores;
  }

  uint64_t stores = 0, wide_stores = 0;

  bool tracked() const { return !counts_.empty(); }
  void tally(report& r) const {
    for (unsigned char c : counts_) {
      r.bytes_written += c > 0;
      r.bytes_rewritten += c > 1;
    }
  }

 private:
  void check(const char* p, size_t size, size_t align) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    if (a < lo_ || a + size > hi_ || a + size < a)
      throw std::runtime_error("emulated CUDA fill: a " + std::to_string(size) +
                               "-byte store at byte offset " +
                               std::to_string(static_cast<long long>(a - lo_)) +
                               " lies outside the array's " + std::to_string(hi_ - lo_) +
                               " bytes");
    if (a % align != 0)
      throw std::runtime_error("emulated CUDA fill: a " + std::to_string(size) +
                               "-byte store at address " + std::to_string(a) +
                               " is misaligned (the device needs " + std::to_string(align) +
                               "-byte alignment)");
    if (!counts_.empty())
      for (size_t b = 0; b < size; ++b) {
        unsigned char& c = counts_[a - lo_ + b];
        if (c < 255) ++c;
      }
  }

  uintptr_t lo_, hi_;
  std::vector<unsigned char> counts_;
};

constexpr uint64_t kTrackLimit = uint64_t{1} << 28;  // bytes of write counts at most

// grid::visit_scheme's visitor: the launch fill.cu would make, run thread by thread.
struct emulator {
  grid::launch P;
  options opt;
  checked_memory mem;
  report rep;

  template <class ThreadFn>
  void run(uint64_t work, const char* kernel, ThreadFn&& thread_fn) {
    rep.kernel = kernel;
    rep.work = work;
    rep.grid = opt.grid ? opt.grid : grid::blocks_for(work);
    rep.block = opt.block ? opt.block : grid::kBlockThreads;
    const uint64_t threads = static_cast<uint64_t>(rep.grid) * rep.block;
    uint64_t b0 = opt.block_begin > 0 ? static_cast<uint64_t>(opt.block_begin) : 0;
    uint64_t b1 = opt.block_end < 0 ? rep.grid : static_cast<uint64_t>(opt.block_end);
    if (b1 > rep.grid) b1 = rep.grid;
    for (uint64_t b = b0; b < b1; ++b)
      for (unsigned t = 0; t < rep.block; ++t) {
        thread_fn(b * rep.block + t, threads);
        ++rep.threads_run;
      }
  }

  template <class K, class Out>
  void stream(const K& k) {
    const uint64_t work = grid::work_items<K::kPerBlock>(P);
    if (P.sharded)
      run(work, "shard",
          [&](uint64_t t, uint64_t n) { grid::shard_thread<K, Out>(k, P, t, n, mem); });
    else
      run(work, "fill",
          [&](uint64_t t, uint64_t n) { grid::fill_thread<K, Out>(k, P, t, n, mem); });
  }

  template <class Bits>
  void constant(Bits value) {
    run(static_cast<uint64_t>(P.n), "constant",
        [&](uint64_t t, uint64_t n) { grid::constant_thread(value, P, t, n, mem); });
  }
};

// The bytes [lo, hi) a view spans.
void extent(const grid::launch& P, uintptr_t& lo, uintptr_t& hi) {
  int64_t below = 0, above = 0;
  for (int d = 0; d < P.ndim; ++d) {
    const int64_t reach = (P.shape[d] - 1) * P.strides[d];
    (reach < 0 ? below : above) += reach;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(P.base);
  lo = base - static_cast<uintptr_t>(-below);
  hi = base + static_cast<uintptr_t>(above + P.itemsize);
}

}  // namespace

report emulate_fill(int kind, int dtype, uintptr_t data, const std::vector<int64_t>& shape,
                    const std::vector<int64_t>& strides, uint64_t seed, uint32_t stream,
                    uint32_t extra, uint64_t first, const std::vector<double>& params,
                    const std::vector<int64_t>& index_map, const options& opt) {
  const char* who = "fastinit._core._emulate_cuda_fill";
  const grid::launch P = grid::make_launch(dtype, data, shape, strides, seed, stream, extra,
                                           first, index_map, who);
  if (opt.block > 1024)
    throw std::invalid_argument(std::string(who) + ": at most 1024 threads per block");
  if (P.n == 0) return report{};
  uintptr_t lo = 0, hi = 0;
  extent(P, lo, hi);
  emulator em{P, opt, checked_memory(lo, hi, hi - lo <= kTrackLimit), report{}};
  grid::visit_scheme(kind, dtype, params, em, who);
  em.rep.stores = em.mem.stores;
  em.rep.wide_stores = em.mem.wide_stores;
  em.rep.tracked = em.mem.tracked();
  em.mem.tally(em.rep);
  return em.rep;
}

}  // namespace cuda_emulation
}  // namespace fastinit
