// fastinit._cuda: fills of device memory, on a CUDA stream. No CUDA types in this header, so
// the pybind11 glue builds with the host compiler.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fastinit {
namespace cuda {

// Same arguments and meaning as the CPU fill (csrc/cpu/fill.h), `index_map` included (empty:
// not a shard), for memory at device address `data`, launched on `cuda_stream` (0: the legacy
// default stream). What each thread does is in grid.h. Throws std::invalid_argument on a
// malformed request, std::runtime_error with CUDA's message on a launch failure.
void fill(int kind, int dtype, uintptr_t data, const std::vector<int64_t>& shape,
          const std::vector<int64_t>& strides, uint64_t seed, uint32_t stream, uint32_t extra,
          uint64_t first, const std::vector<double>& params,
          const std::vector<int64_t>& index_map, uintptr_t cuda_stream);

int device_count();            // 0 where there is no driver or no device
std::string runtime_version();  // e.g. "13.0"

}  // namespace cuda
}  // namespace fastinit
