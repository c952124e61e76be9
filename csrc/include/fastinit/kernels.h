// One Philox block in, a few element values out: the per-scheme kernels that every backend loop
// (CPU threads, CUDA grid-stride) calls. `kPerBlock` is how many consecutive elements one block
// of four words yields; element i comes from block i / kPerBlock, position i % kPerBlock.
#pragma once
#include "codes.h"  // scheme, dtype_code, param_count, trunc_layout (generated)
#include "config.h"
#include "philox.h"
#include "transforms.h"
#include "uniform.h"

namespace fastinit {

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

// Flat parameter list (as the Python layer builds it, fastinit/_random/plans.py) to kernel
// parameters. Each double is rounded to nearest in T. The truncated normal's list is read by
// name, through the generated indices of codes.h (fastinit/_backends/codes.py's layout).
template <class T>
inline uniform_params<T> make_uniform_params(const double* v) {
  uniform_params<T> p;
  p.lo = static_cast<T>(v[0]);
  p.hi = static_cast<T>(v[1]);
  p.span = p.hi - p.lo;
  return p;
}

static_assert(param_count(scheme::trunc_normal) == trunc_layout::count,
              "codes.h: the truncated normal's parameter count differs from its layout");

template <class T>
inline trunc_params<T> make_trunc_params(const double* v) {
  namespace L = trunc_layout;
  const auto at = [v](int i) { return static_cast<T>(v[i]); };
  trunc_params<T> p;
  p.alpha = at(L::alpha);
  p.beta = at(L::beta);
  p.mean = at(L::mean);
  p.std = at(L::std);
  p.lo = at(L::lo);
  p.hi = at(L::hi);
  p.br[0] = trunc_branch<T>{at(L::br0_base), at(L::br0_centre), at(L::br0_th), at(L::br0_dd),
                            at(L::br0_ld),   at(L::br0_tau),    at(L::br0_dir), at(L::br0_sgn)};
  p.br[1] = trunc_branch<T>{at(L::br1_base), at(L::br1_centre), at(L::br1_th), at(L::br1_dd),
                            at(L::br1_ld),   at(L::br1_tau),    at(L::br1_dir), at(L::br1_sgn)};
  return p;
}

}  // namespace fastinit
