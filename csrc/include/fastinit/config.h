// fastinit: one device macro shared by the CPU core and the CUDA kernels.
#pragma once
#include <cstdint>

// Always inlined, on the host as nvcc does on the device: GCC otherwise kept `normal_pair` as
// a call inside the SIMD normal loops (its budget spent on the Philox and store helpers), which
// cost float64 `normal` 8-10% and float32 `normal` and `uniform` about 4%.
#if defined(__CUDACC__)
#define FASTINIT_HD __host__ __device__ __forceinline__
#else
#define FASTINIT_HD inline __attribute__((always_inline))
#endif

// Feature flags are always defined, as 0 or 1. FASTINIT_DEVICE is 1 in nvcc's device pass
// only (device intrinsics), 0 in every host compilation, nvcc's host pass included.
#if defined(__CUDA_ARCH__)
#define FASTINIT_DEVICE 1
#else
#define FASTINIT_DEVICE 0
#endif
