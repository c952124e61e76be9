// SIMD paths of the CPU core, chosen at run time. Each computes exactly what scalar_run
// (run.h) computes; only the speed differs.
#pragma once
#include <cstdint>

#include <fastinit/kernels.h>

namespace fastinit {
namespace avx2 {

bool supported();  // the CPU and OS run AVX2 and F16C

// `nt`: write with non-temporal (streaming) stores where `buf` is 32-byte aligned; the caller
// ends its share with _mm_sfence().

void run(const raw_kernel& k, const stream_id& s, uint64_t first, int64_t n, uint32_t* buf, bool nt);
void run(const uniform_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt);
void run(const uniform_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt);
void run(const normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt);
void run(const normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt);
void run(const trunc_normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt);
void run(const trunc_normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt);

// nbytes (a multiple of the element size) at p (aligned to it) from `pattern`, 64 bytes of the
// element value repeated; 32-byte stores, non-temporal where `nt`.
void fill_pattern(char* p, int64_t nbytes, const unsigned char* pattern, bool nt);

// float32 values to float16 / bfloat16, rounded to nearest even (contiguous destination).
void store_half(const float* src, int64_t n, uint16_t* dst);
void store_bfloat16(const float* src, int64_t n, uint16_t* dst);

}  // namespace avx2

// The same entry points for AVX-512 (F and DQ). Half/bfloat16 stores and the fence are avx2's.
// fill_pattern uses 64-byte stores.
namespace avx512 {

bool supported();  // the CPU and OS run AVX-512 F/DQ (and AVX2, F16C)

void fill_pattern(char* p, int64_t nbytes, const unsigned char* pattern, bool nt);

void run(const raw_kernel& k, const stream_id& s, uint64_t first, int64_t n, uint32_t* buf, bool nt);
void run(const uniform_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt);
void run(const uniform_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt);
void run(const normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt);
void run(const normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt);
void run(const trunc_normal_kernel<float>& k, const stream_id& s, uint64_t first, int64_t n, float* buf, bool nt);
void run(const trunc_normal_kernel<double>& k, const stream_id& s, uint64_t first, int64_t n, double* buf, bool nt);

}  // namespace avx512
}  // namespace fastinit
