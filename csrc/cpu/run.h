// The scalar reference loop: elements [first, first + n) of a kernel's stream, in logical
// order, into buf. Every SIMD path must give exactly these values (tests/test_simd.py).
#pragma once
#include <cstdint>

#include <fastinit/kernels.h>

namespace fastinit {

template <class K>
void scalar_run(const K& k, const stream_id& s, uint64_t first, int64_t n,
                typename K::value_type* buf) {
  constexpr int P = K::kPerBlock;
  typename K::value_type tmp[P];
  uint64_t j = first / P;
  int64_t done = 0;
  const int off = static_cast<int>(first % P);
  if (off != 0 && n > 0) {
    k.block(stream_block(s, j++), tmp);
    for (int l = off; l < P && done < n; ++l) buf[done++] = tmp[l];
  }
  while (n - done >= P) {
    k.block(stream_block(s, j++), buf + done);
    done += P;
  }
  if (done < n) {
    k.block(stream_block(s, j), tmp);
    for (int l = 0; done < n; ++l) buf[done++] = tmp[l];
  }
}

}  // namespace fastinit
