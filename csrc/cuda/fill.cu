// CUDA kernels over the same headers as the CPU core: one Philox block per thread (grid-stride),
// the transforms of transforms.h compiled for the device (FASTINIT_HD), 64-bit indexing, 16-byte
// stores for whole aligned blocks of contiguous float32/float64/uint32 arrays, any strides
// otherwise. Build with --fmad=false: the stream forbids contraction to FMA.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include <fastinit/halfconv.h>
#include <fastinit/kernels.h>
#include "fill.h"

namespace fastinit {
namespace cuda {
namespace {

constexpr int kMaxDims = 32;

struct layout {
  int ndim;
  bool contiguous;
  int64_t n;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];  // bytes
};

struct half_out {};
struct bfloat16_out {};

template <class Out>
struct store;
template <>
struct store<float> {
  static constexpr int kSize = 4;
  __device__ static void put(char* p, float v) { *reinterpret_cast<float*>(p) = v; }
};
template <>
struct store<double> {
  static constexpr int kSize = 8;
  __device__ static void put(char* p, double v) { *reinterpret_cast<double*>(p) = v; }
};
template <>
struct store<uint32_t> {
  static constexpr int kSize = 4;
  __device__ static void put(char* p, uint32_t v) { *reinterpret_cast<uint32_t*>(p) = v; }
};
template <>
struct store<half_out> {
  static constexpr int kSize = 2;
  __device__ static void put(char* p, float v) { *reinterpret_cast<uint16_t*>(p) = float_to_half(v); }
};
template <>
struct store<bfloat16_out> {
  static constexpr int kSize = 2;
  __device__ static void put(char* p, float v) {
    *reinterpret_cast<uint16_t*>(p) = float_to_bfloat16(v);
  }
};

__device__ char* address(const layout& L, char* base, int64_t e) {
  if (L.contiguous) return base + e * L.strides[L.ndim - 1];
  int64_t off = 0;
  for (int d = L.ndim - 1; d >= 0; --d) {
    const int64_t n = L.shape[d];
    off += (e % n) * L.strides[d];
    e /= n;
  }
  return base + off;
}

// 16 bytes at once where a whole block lands on an aligned, contiguous run.
template <class V, class Out>
__device__ bool store_block_wide(char* p, const V* v, int count) {
  if (count * store<Out>::kSize != 16 || (reinterpret_cast<uintptr_t>(p) & 15) != 0) return false;
  if constexpr (sizeof(V) == 4 && store<Out>::kSize == 4) {
    *reinterpret_cast<uint4*>(p) = *reinterpret_cast<const uint4*>(v);
    return true;
  } else if constexpr (sizeof(V) == 8 && store<Out>::kSize == 8) {
    *reinterpret_cast<uint4*>(p) = *reinterpret_cast<const uint4*>(v);
    return true;
  } else {
    return false;
  }
}

template <class K, class Out>
__global__ void fill_kernel(K k, stream_id s, uint64_t first, layout L, char* base) {
  constexpr int P = K::kPerBlock;
  using V = typename K::value_type;
  const uint64_t j0 = first / P;
  const uint64_t j1 = (first + static_cast<uint64_t>(L.n) - 1) / P;  // inclusive
  const uint64_t stride = static_cast<uint64_t>(gridDim.x) * blockDim.x;
  for (uint64_t j = j0 + blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; j <= j1;
       j += stride) {
    alignas(16) V v[P];
    k.block(stream_block(s, j), v);
    const int64_t e0 = static_cast<int64_t>(j * P - first);  // element of v[0] (may be < 0)
    if (L.contiguous && e0 >= 0 && e0 + P <= L.n &&
        store_block_wide<V, Out>(address(L, base, e0), v, P)) {
      continue;
    }
    for (int l = 0; l < P; ++l) {
      const int64_t e = e0 + l;
      if (e >= 0 && e < L.n) store<Out>::put(address(L, base, e), v[l]);
    }
  }
}

template <class Bits>
__global__ void constant_kernel(Bits value, layout L, char* base) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < L.n; e += stride)
    *reinterpret_cast<Bits*>(address(L, base, e)) = value;
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("fastinit._cuda: ") + what + ": " + cudaGetErrorString(err));
}

unsigned grid_for(uint64_t work) {
  const uint64_t blocks = (work + 255) / 256;
  return static_cast<unsigned>(blocks < 65535u * 16u ? (blocks > 0 ? blocks : 1) : 65535u * 16u);
}

template <class K, class Out>
void launch(const K& k, const stream_id& s, uint64_t first, const layout& L, char* base,
            cudaStream_t st) {
  const uint64_t blocks = (first + static_cast<uint64_t>(L.n) - 1) / K::kPerBlock - first / K::kPerBlock + 1;
  fill_kernel<K, Out><<<grid_for(blocks), 256, 0, st>>>(k, s, first, L, base);
  check(cudaGetLastError(), "kernel launch");
}

template <template <class> class KernelOf, class Make32, class Make64>
void launch_float(int dtype, const stream_id& s, uint64_t first, const layout& L, char* base,
                  cudaStream_t st, Make32 make32, Make64 make64) {
  switch (static_cast<dtype_code>(dtype)) {
    case dtype_code::float32: launch<KernelOf<float>, float>(make32(), s, first, L, base, st); break;
    case dtype_code::float64: launch<KernelOf<double>, double>(make64(), s, first, L, base, st); break;
    case dtype_code::float16: launch<KernelOf<float>, half_out>(make32(), s, first, L, base, st); break;
    case dtype_code::bfloat16:
      launch<KernelOf<float>, bfloat16_out>(make32(), s, first, L, base, st);
      break;
    default: throw std::invalid_argument("fastinit._cuda: this scheme needs a floating-point output");
  }
}

}  // namespace

void fill(int kind, int dtype, uintptr_t data, const std::vector<int64_t>& shape,
          const std::vector<int64_t>& strides, uint64_t seed, uint32_t stream, uint32_t extra,
          uint64_t first, const std::vector<double>& params, uintptr_t cuda_stream) {
  if (kind < 0 || kind > static_cast<int>(scheme_max))
    throw std::invalid_argument("fastinit._cuda: bad scheme code");
  if (dtype < 0 || dtype > static_cast<int>(dtype_code_max))
    throw std::invalid_argument("fastinit._cuda: bad dtype code");
  if (shape.size() != strides.size() || shape.empty() || shape.size() > kMaxDims)
    throw std::invalid_argument("fastinit._cuda: shape and strides must have 1 to 32 dimensions");
  layout L{};
  L.ndim = static_cast<int>(shape.size());
  L.n = 1;
  for (int d = 0; d < L.ndim; ++d) {
    L.shape[d] = shape[d];
    L.strides[d] = strides[d];
    L.n *= shape[d];
  }
  if (L.n == 0) return;
  const int64_t isz = itemsize(static_cast<dtype_code>(dtype));
  int64_t expect = isz;
  L.contiguous = true;
  for (int d = L.ndim - 1; d >= 0; --d) {
    if (L.shape[d] != 1 && L.strides[d] != expect) L.contiguous = false;
    expect *= L.shape[d];
  }
  if (L.contiguous) L.strides[L.ndim - 1] = isz;  // address() uses it for contiguous arrays
  char* base = reinterpret_cast<char*>(data);
  const cudaStream_t st = reinterpret_cast<cudaStream_t>(cuda_stream);
  const stream_id s = make_stream(seed, stream, extra);
  const double* v = params.data();
  switch (static_cast<scheme>(kind)) {
    case scheme::raw:
      if (dtype != static_cast<int>(dtype_code::uint32))
        throw std::invalid_argument("fastinit._cuda: raw words need a uint32 output");
      launch<raw_kernel, uint32_t>(raw_kernel{}, s, first, L, base, st);
      return;
    case scheme::constant: {
      const float f = static_cast<float>(v[0]);
      switch (static_cast<dtype_code>(dtype)) {
        case dtype_code::float32: constant_kernel<<<grid_for(L.n), 256, 0, st>>>(f, L, base); break;
        case dtype_code::float64: constant_kernel<<<grid_for(L.n), 256, 0, st>>>(v[0], L, base); break;
        case dtype_code::float16:
          constant_kernel<<<grid_for(L.n), 256, 0, st>>>(float_to_half(f), L, base);
          break;
        case dtype_code::bfloat16:
          constant_kernel<<<grid_for(L.n), 256, 0, st>>>(float_to_bfloat16(f), L, base);
          break;
        default: throw std::invalid_argument("fastinit._cuda: constant needs a floating-point output");
      }
      check(cudaGetLastError(), "kernel launch");
      return;
    }
    case scheme::uniform:
      launch_float<uniform_kernel>(
          dtype, s, first, L, base, st, [&] { return uniform_kernel<float>{make_uniform_params<float>(v)}; },
          [&] { return uniform_kernel<double>{make_uniform_params<double>(v)}; });
      return;
    case scheme::normal:
      launch_float<normal_kernel>(
          dtype, s, first, L, base, st,
          [&] { return normal_kernel<float>{static_cast<float>(v[0]), static_cast<float>(v[1])}; },
          [&] { return normal_kernel<double>{v[0], v[1]}; });
      return;
    case scheme::trunc_normal:
      launch_float<trunc_normal_kernel>(
          dtype, s, first, L, base, st,
          [&] { return trunc_normal_kernel<float>{make_trunc_params<float>(v)}; },
          [&] { return trunc_normal_kernel<double>{make_trunc_params<double>(v)}; });
      return;
  }
  throw std::invalid_argument("fastinit._cuda: unknown scheme");
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
