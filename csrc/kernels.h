// One Philox block in, a few element values out: the per-scheme kernels that every backend loop
// (CPU threads, CUDA grid-stride) calls. `kPerBlock` is how many consecutive elements one block
// of four words yields; element i comes from block i / kPerBlock, position i % kPerBlock.
#pragma once
#include "config.h"
#include "philox.h"
#include "transforms.h"
#include "uniform.h"

namespace fastinit {

enum class scheme : int { raw = 0, constant = 1, uniform = 2, normal = 3, trunc_normal = 4 };
enum class dtype_code : int { float32 = 0, float64 = 1, float16 = 2, bfloat16 = 3, uint32 = 4 };

struct raw_kernel {
  using value_type = uint32_t;
  static constexpr int kPerBlock = 4;
  FASTINIT_HD void block(const philox_counter& c, uint32_t* out) const {
    for (int l = 0; l < 4; ++l) out[l] = c.v[l];
  }
};

template <class T>
struct uniform_kernel;

template <>
struct uniform_kernel<float> {
  using value_type = float;
  static constexpr int kPerBlock = 4;
  uniform_params<float> p;
  FASTINIT_HD void block(const philox_counter& c, float* out) const {
    for (int l = 0; l < 4; ++l) out[l] = uniform_map(unit_interval<float>(c.v[l]), p);
  }
};

template <>
struct uniform_kernel<double> {
  using value_type = double;
  static constexpr int kPerBlock = 2;
  uniform_params<double> p;
  FASTINIT_HD void block(const philox_counter& c, double* out) const {
    out[0] = uniform_map(unit_interval<double>(join64(c.v[0], c.v[1])), p);
    out[1] = uniform_map(unit_interval<double>(join64(c.v[2], c.v[3])), p);
  }
};

template <class T>
struct normal_kernel;

template <>
struct normal_kernel<float> {
  using value_type = float;
  static constexpr int kPerBlock = 4;  // two pairs
  float mean, std;
  FASTINIT_HD void block(const philox_counter& c, float* out) const {
    float z[4];
    normal_pair(c.v[0], c.v[1], z[0], z[1]);
    normal_pair(c.v[2], c.v[3], z[2], z[3]);
    for (int l = 0; l < 4; ++l) out[l] = mean + std * z[l];
  }
};

template <>
struct normal_kernel<double> {
  using value_type = double;
  static constexpr int kPerBlock = 2;  // one pair
  double mean, std;
  FASTINIT_HD void block(const philox_counter& c, double* out) const {
    double z0, z1;
    normal_pair(join64(c.v[0], c.v[1]), join64(c.v[2], c.v[3]), z0, z1);
    out[0] = mean + std * z0;
    out[1] = mean + std * z1;
  }
};

template <class T>
struct trunc_normal_kernel;

template <>
struct trunc_normal_kernel<float> {
  using value_type = float;
  static constexpr int kPerBlock = 4;
  trunc_params<float> p;
  FASTINIT_HD void block(const philox_counter& c, float* out) const {
    for (int l = 0; l < 4; ++l) out[l] = trunc_normal_value<float>(c.v[l], p);
  }
};

template <>
struct trunc_normal_kernel<double> {
  using value_type = double;
  static constexpr int kPerBlock = 2;
  trunc_params<double> p;
  FASTINIT_HD void block(const philox_counter& c, double* out) const {
    out[0] = trunc_normal_value<double>(join64(c.v[0], c.v[1]), p);
    out[1] = trunc_normal_value<double>(join64(c.v[2], c.v[3]), p);
  }
};

// Flat parameter list (as the Python layer builds it, fastinit/_params.py) to kernel parameters.
// Each double is rounded to nearest in T.
template <class T>
inline uniform_params<T> make_uniform_params(const double* v) {
  uniform_params<T> p;
  p.lo = static_cast<T>(v[0]);
  p.hi = static_cast<T>(v[1]);
  p.span = p.hi - p.lo;
  return p;
}

template <class T>
inline trunc_params<T> make_trunc_params(const double* v) {
  trunc_params<T> p;
  p.alpha = static_cast<T>(v[0]);
  p.beta = static_cast<T>(v[1]);
  p.mean = static_cast<T>(v[2]);
  p.std = static_cast<T>(v[3]);
  p.lo = static_cast<T>(v[4]);
  p.hi = static_cast<T>(v[5]);
  for (int k = 0; k < 2; ++k) {
    const double* b = v + 6 + 8 * k;
    p.br[k] = trunc_branch<T>{static_cast<T>(b[0]), static_cast<T>(b[1]), static_cast<T>(b[2]),
                              static_cast<T>(b[3]), static_cast<T>(b[4]), static_cast<T>(b[5]),
                              static_cast<T>(b[6]), static_cast<T>(b[7])};
  }
  return p;
}

constexpr int kUniformParamCount = 2;       // lo, hi
constexpr int kNormalParamCount = 2;        // mean, std
constexpr int kTruncNormalParamCount = 22;  // alpha, beta, mean, std, lo, hi, 2 x 8 branch values
constexpr int kConstantParamCount = 1;      // value (exact in the output type)

}  // namespace fastinit
