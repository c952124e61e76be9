// fastinit._core: the pybind11 glue. No validation of user input happens here beyond memory
// safety: fastinit/_input/ does it, once, for every backend.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <functional>
#include <stdexcept>

#include <fastinit/codes.h>
#include <fastinit/philox.h>

#include "../cpu/fill.h"
#include "../cpu/thread_pool.h"
#include "../cuda/emulate.h"
#include "codes_dict.h"

namespace py = pybind11;
using namespace fastinit;

namespace {

std::atomic<int> g_threads{0};  // 0: not set, use pool_default_threads()

int current_threads() {
  const int n = g_threads.load();
  return n > 0 ? n : pool_default_threads();
}

void fill(int kind, int dtype, py::array out, uint64_t seed, uint32_t stream, uint32_t extra,
          uint64_t first, std::vector<double> params, std::vector<int64_t> index_map) {
  if (kind < 0 || kind > static_cast<int>(scheme_max)) throw std::invalid_argument("bad scheme code");
  if (dtype < 0 || dtype > static_cast<int>(dtype_code_max)) throw std::invalid_argument("bad dtype code");
  if (!out.writeable()) throw std::invalid_argument("the output array is read-only");
  const py::ssize_t nd = out.ndim();
  std::vector<int64_t> shape(static_cast<size_t>(nd)), strides(static_cast<size_t>(nd));
  for (py::ssize_t d = 0; d < nd; ++d) {
    shape[static_cast<size_t>(d)] = out.shape(d);
    strides[static_cast<size_t>(d)] = out.strides(d);
  }
  array_view a{static_cast<char*>(out.mutable_data()), std::move(shape), std::move(strides),
               static_cast<dtype_code>(dtype)};
  fill_request r{static_cast<scheme>(kind), seed,  stream, extra, first, std::move(params),
                 std::move(index_map)};
  const int nthreads = current_threads();
  bool interrupted = false;
  // Between chunks of a large fill: take the GIL for a moment and run Python's signal handlers,
  // so Ctrl-C (KeyboardInterrupt) stops a multi-GiB fill promptly.
  const std::function<bool()> keep_going = [&interrupted] {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      interrupted = true;
      return false;
    }
    return true;
  };
  {
    py::gil_scoped_release release;
    cpu_fill(a, r, nthreads, keep_going);
  }
  if (interrupted) throw py::error_already_set();  // the KeyboardInterrupt (or other) raised
}

py::tuple philox(std::vector<uint32_t> ctr, std::vector<uint32_t> key) {
  if (ctr.size() != 4 || key.size() != 2) throw std::invalid_argument("counter has 4 words, key 2");
  const philox_counter out =
      philox4x32_10(philox_counter{{ctr[0], ctr[1], ctr[2], ctr[3]}}, philox_key{{key[0], key[1]}});
  return py::make_tuple(out.v[0], out.v[1], out.v[2], out.v[3]);
}

// Test only: the CUDA fill executed on the CPU (csrc/cuda/emulate.h), into host memory at
// `data` (the caller keeps it valid); a report of the launch as a dict.
py::dict emulate_cuda_fill(int kind, int dtype, uintptr_t data, std::vector<int64_t> shape,
                           std::vector<int64_t> strides, uint64_t seed, uint32_t stream,
                           uint32_t extra, uint64_t first, std::vector<double> params,
                           std::vector<int64_t> index_map, uintptr_t /*cuda_stream*/,
                           unsigned grid, unsigned block, int64_t block_begin,
                           int64_t block_end) {
  cuda_emulation::options opt;
  opt.grid = grid;
  opt.block = block;
  opt.block_begin = block_begin;
  opt.block_end = block_end;
  cuda_emulation::report r;
  {
    py::gil_scoped_release release;
    r = cuda_emulation::emulate_fill(kind, dtype, data, shape, strides, seed, stream, extra,
                                     first, params, index_map, opt);
  }
  py::dict d;
  d["kernel"] = r.kernel;
  d["work"] = r.work;
  d["grid"] = r.grid;
  d["block"] = r.block;
  d["threads_run"] = r.threads_run;
  d["stores"] = r.stores;
  d["wide_stores"] = r.wide_stores;
  d["tracked"] = r.tracked;
  d["bytes_written"] = r.bytes_written;
  d["bytes_rewritten"] = r.bytes_rewritten;
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastinit's compiled core: Philox4x32-10 streams written into strided arrays.";
  m.def("fill", &fill, py::arg("kind"), py::arg("dtype"), py::arg("out").noconvert(),
        py::arg("seed"), py::arg("stream"), py::arg("extra"), py::arg("first"), py::arg("params"),
        py::arg("index_map") = std::vector<int64_t>{},
        "Fill the NumPy array `out` in place (validated by the caller). Releases the GIL.\n"
        "index_map (one stream-element step per dimension) fills a shard of a larger tensor.");
  m.def("philox4x32_10", &philox, py::arg("counter"), py::arg("key"),
        "One Philox4x32-10 block: 4 counter words and 2 key words in, 4 words out.");
  m.def("set_num_threads", [](int n) {
    if (n < 1) throw std::invalid_argument("number of threads must be >= 1");
    g_threads.store(n);
  });
  m.def("get_num_threads", &current_threads);
  m.def("default_num_threads", &pool_default_threads);
  m.def("simd_level", [] {
    switch (simd_path()) {
      case simd_kind::avx512: return std::string("avx512");
      case simd_kind::avx2: return std::string("avx2");
      default: return std::string("scalar");
    }
  });
  m.def("set_simd_level", [](const std::string& name) {
    if (name == "scalar") return set_simd_path(simd_kind::scalar);
    if (name == "avx2") return set_simd_path(simd_kind::avx2);
    if (name == "avx512") return set_simd_path(simd_kind::avx512);
    throw std::invalid_argument("simd level must be 'scalar', 'avx2' or 'avx512'");
  }, "Force a SIMD path (for tests); returns False if this CPU cannot run it.");
  m.def("codes", &codes_dict, kCodesDoc);
  m.def("_emulate_cuda_fill", &emulate_cuda_fill, py::arg("kind"), py::arg("dtype"),
        py::arg("data"), py::arg("shape"), py::arg("strides"), py::arg("seed"),
        py::arg("stream"), py::arg("extra"), py::arg("first"), py::arg("params"),
        py::arg("index_map"), py::arg("cuda_stream") = 0, py::kw_only(), py::arg("grid") = 0u,
        py::arg("block") = 0u, py::arg("block_begin") = 0, py::arg("block_end") = -1,
        "Test only: fastinit._cuda.fill's launch executed on the CPU into HOST memory at\n"
        "`data` (same arguments; unchecked address, as _cuda.fill's), every block and thread\n"
        "in turn through the kernels' own per-thread code (csrc/cuda/grid.h). grid, block: the\n"
        "launch's dimensions (0: the real launch's); block_begin/block_end: run only those\n"
        "blocks. Every store is bounds- and alignment-checked (RuntimeError). Returns a dict:\n"
        "kernel, work, grid, block, threads_run, stores, wide_stores, tracked, bytes_written,\n"
        "bytes_rewritten.");
}
