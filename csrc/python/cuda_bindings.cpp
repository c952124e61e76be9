// fastinit._cuda: the pybind11 glue of the CUDA kernels (built with the host compiler).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "../cuda/fill.h"
#include "codes_dict.h"

namespace py = pybind11;

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "fastinit's CUDA kernels: the Philox stream written into device memory.";
  m.def("fill", &fastinit::cuda::fill, py::arg("kind"), py::arg("dtype"), py::arg("data"),
        py::arg("shape"), py::arg("strides"), py::arg("seed"), py::arg("stream"),
        py::arg("extra"), py::arg("first"), py::arg("params"), py::arg("index_map"),
        py::arg("cuda_stream"), py::call_guard<py::gil_scoped_release>(),
        "Fill device memory at `data` (validated by the caller) on `cuda_stream`.\n"
        "index_map (empty: none) fills a shard of a larger tensor, as fastinit._core.fill.");
  m.def("device_count", &fastinit::cuda::device_count);
  m.def("runtime_version", &fastinit::cuda::runtime_version);
  m.def("codes", &fastinit::codes_dict, fastinit::kCodesDoc);
}
