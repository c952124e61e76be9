// CUDA kernels over the same headers as the CPU core. What each thread does is written once,
// in grid.h, as host-and-device functions of (thread index, thread count, launch parameters):
// the kernels below only compute their thread index and call them, and the emulator of
// emulate.cpp (built into fastinit._core for the tests) calls the same functions on the CPU for
// every thread of a launch. Build with --fmad=false: the stream forbids contraction to FMA.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "fill.h"
#include "grid.h"

namespace fastinit {
namespace cuda {
namespace {

// Plain stores: 16-byte vector stores for whole aligned blocks, natural stores otherwise.
struct device_memory {
  template <class T>
  __device__ __forceinline__ void put(char* p, T v) const {
    *reinterpret_cast<T*>(p) = v;
  }
  __device__ __forceinline__ void put16(char* p, const void* v) const {
    *reinterpret_cast<uint4*>(p) = *reinterpret_cast<const uint4*>(v);
  }
};

__device__ __forceinline__ uint64_t thread_index() {
  return static_cast<uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ uint64_t thread_count() {
  return static_cast<uint64_t>(gridDim.x) * blockDim.x;
}

template <class K, class Out>
__global__ void __launch_bounds__(grid::kBlockThreads) fill_kernel(K k, grid::launch P) {
  device_memory mem;
  grid::fill_thread<K, Out>(k, P, thread_index(), thread_count(), mem);
}

template <class K, class Out>
__global__ void __launch_bounds__(grid::kBlockThreads) shard_kernel(K k, grid::launch P) {
  device_memory mem;
  grid::shard_thread<K, Out>(k, P, thread_index(), thread_count(), mem);
}

template <class Bits>
__global__ void __launch_bounds__(grid::kBlockThreads) constant_kernel(Bits value,
                                                                       grid::launch P) {
  device_memory mem;
  grid::constant_thread(value, P, thread_index(), thread_count(), mem);
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("fastinit._cuda: ") + what + ": " +
                             cudaGetErrorString(err));
}

// grid::visit_scheme's visitor: one launch on `st`.
struct launcher {
  grid::launch P;
  cudaStream_t st;

  template <class K, class Out>
  void stream(const K& k) {
    const uint64_t work = grid::work_items<K::kPerBlock>(P);
    const unsigned blocks = grid::blocks_for(work);
    if (P.sharded)
      shard_kernel<K, Out><<<blocks, grid::kBlockThreads, 0, st>>>(k, P);
    else
      fill_kernel<K, Out><<<blocks, grid::kBlockThreads, 0, st>>>(k, P);
    check(cudaGetLastError(), "kernel launch");
  }

  template <class Bits>
  void constant(Bits value) {
    const unsigned blocks = grid::blocks_for(static_cast<uint64_t>(P.n));
    constant_kernel<Bits><<<blocks, grid::kBlockThreads, 0, st>>>(value, P);
    check(cudaGetLastError(), "kernel launch");
  }
};

}  // namespace

void fill(int kind, int dtype, uintptr_t data, const std::vector<int64_t>& shape,
          const std::vector<int64_t>& strides, uint64_t seed, uint32_t stream, uint32_t extra,
          uint64_t first, const std::vector<double>& params,
          const std::vector<int64_t>& index_map, uintptr_t cuda_stream) {
  launcher L{grid::make_launch(dtype, data, shape, strides, seed, stream, extra, first,
                               index_map, "fastinit._cuda"),
             reinterpret_cast<cudaStream_t>(cuda_stream)};
  if (L.P.n == 0) return;
  grid::visit_scheme(kind, dtype, params, L, "fastinit._cuda");
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error of a missing driver
    return 0;
  }
  return n;
}

std::string runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

}  // namespace cuda
}  // namespace fastinit
