// The CPU fill: any scheme of kernels.h into any strided array of a supported dtype.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <fastinit/kernels.h>

namespace fastinit {

struct array_view {
  char* data;                    // address of the element at multi-index (0, ..., 0)
  std::vector<int64_t> shape;    // logical shape
  std::vector<int64_t> strides;  // in bytes, may be negative
  dtype_code dtype;
};

struct fill_request {
  scheme kind;
  uint64_t seed;
  uint32_t stream;
  uint32_t extra;
  uint64_t first;  // logical index of the view's element 0 in the stream (0 for whole tensors)
  std::vector<double> params;
  // Empty: element e of the view is stream element first + e. Otherwise (a shard of a larger
  // tensor) element (i_0, ..., i_k) is stream element first + sum_d i_d * index_map[d].
  std::vector<int64_t> index_map;
};

enum class simd_kind : int { scalar = 0, avx2 = 1, avx512 = 2 };
simd_kind simd_path();            // the path fills use (chosen at first use: the best supported)
bool set_simd_path(simd_kind k);  // false if this CPU cannot run k

// Validates only what it must to stay memory-safe (the Python layer validates the rest) and
// fills. Throws std::invalid_argument on an inconsistent request. `keep_going` (optional) is
// asked on the calling thread between chunks of a large fill; when it answers false the fill
// stops there (the array is partly written) and cpu_fill returns false.
bool cpu_fill(const array_view& out, const fill_request& req, int nthreads,
              const std::function<bool()>& keep_going = {});

}  // namespace fastinit
