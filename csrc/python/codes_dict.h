// codes(): the contract codes a module was compiled with (csrc/include/fastinit/codes.h, generated
// from fastinit/_backends/codes.py), as a dict that tests/test_contract.py compares with codes.py.
// Built from the compiled constants (enums, itemsize(), param_count(), trunc_layout indices), not
// from Python's. Shared by core_bindings.cpp and cuda_bindings.cpp.
#pragma once
#include <pybind11/pybind11.h>

#include <fastinit/codes.h>

#include <stdexcept>
#include <vector>

namespace fastinit {

inline constexpr const char* kCodesDoc =
    "The contract codes this module was built with (csrc/include/fastinit/codes.h): "
    "{'scheme': {name: code}, 'dtype': {name: code}, 'itemsize': {dtype name: bytes}, "
    "'param_count': {scheme name: count}, 'trunc_normal_layout': [parameter names in order]}.";

inline pybind11::dict codes_dict() {
  namespace py = pybind11;
  py::dict schemes, dtypes, sizes, counts;
  for (const scheme_name& s : scheme_names) {
    schemes[s.name] = static_cast<int>(s.code);
    counts[s.name] = param_count(s.code);
  }
  for (const dtype_name& d : dtype_names) {
    dtypes[d.name] = static_cast<int>(d.code);
    sizes[d.name] = itemsize(d.code);
  }
  // Each name at the index the kernels read it from.
  std::vector<py::object> slots(static_cast<size_t>(trunc_layout::count), py::none());
  for (const trunc_layout_name& t : trunc_layout_names) {
    if (t.index < 0 || t.index >= trunc_layout::count || !slots[t.index].is_none())
      throw std::logic_error("codes.h: bad truncated-normal layout index");
    slots[t.index] = py::str(t.name);
  }
  py::list layout;
  for (const py::object& o : slots) layout.append(o);
  py::dict out;
  out["scheme"] = schemes;
  out["dtype"] = dtypes;
  out["itemsize"] = sizes;
  out["param_count"] = counts;
  out["trunc_normal_layout"] = layout;
  return out;
}

}  // namespace fastinit
