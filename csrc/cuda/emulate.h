// The CUDA fill executed on the CPU, for the tests: every block and thread of the launch that
// fastinit._cuda would make (or of a grid the caller picks) runs grid.h's per-thread function,
// one thread after another, into host memory. Built into fastinit._core with the host
// compiler (no CUDA toolkit needed) and exposed as fastinit._core._emulate_cuda_fill.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fastinit {
namespace cuda_emulation {

struct options {
  unsigned grid = 0;          // blocks in the grid; 0: the launch's own (grid::blocks_for)
  unsigned block = 0;         // threads per block; 0: the launch's own (grid::kBlockThreads)
  int64_t block_begin = 0;    // run only the blocks [block_begin, block_end) of the grid
  int64_t block_end = -1;     // -1: to the last block
};

// What the emulated launch did. Every store is checked before it is made: inside the view's
// memory and aligned as the device needs (the item size; 16 bytes for a vector store), else
// std::runtime_error and nothing more is written.
struct report {
  std::string kernel;         // "fill", "shard" or "constant"
  uint64_t work = 0;          // work items of the launch (Philox blocks, shard items, elements)
  unsigned grid = 0, block = 0;
  uint64_t threads_run = 0;
  uint64_t stores = 0;        // element stores
  uint64_t wide_stores = 0;   // 16-byte vector stores
  bool tracked = false;       // bytes counted below (views spanning up to 256 MiB)
  uint64_t bytes_written = 0;    // distinct bytes written
  uint64_t bytes_rewritten = 0;  // bytes written more than once (a race on the device)
};

// Arguments as fastinit._cuda.fill's (csrc/cuda/fill.h), `data` a host address.
report emulate_fill(int kind, int dtype, uintptr_t data, const std::vector<int64_t>& shape,
                    const std::vector<int64_t>& strides, uint64_t seed, uint32_t stream,
                    uint32_t extra, uint64_t first, const std::vector<double>& params,
                    const std::vector<int64_t>& index_map, const options& opt);

}  // namespace cuda_emulation
}  // namespace fastinit
