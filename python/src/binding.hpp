// Registry of binding parts: each bind_*.cpp adds its functions with HP_PY_BINDING.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <vector>

namespace hppy {

namespace py = pybind11;

struct Part {
  int order;
  std::function<void(py::module_&)> bind;
};

std::vector<Part>& parts();
bool register_part(Part p);

/// Python exception types, created in module.cpp: ConfigError subclasses ValueError.
struct Exceptions {
  PyObject* error = nullptr;
  PyObject* config_error = nullptr;
  PyObject* io_error = nullptr;
  PyObject* no_feasible = nullptr;
  PyObject* executor_error = nullptr;
  PyObject* log_parse_error = nullptr;
};
Exceptions& exceptions();

}  // namespace hppy

#define HP_PY_CONCAT2(a, b) a##b
#define HP_PY_CONCAT(a, b) HP_PY_CONCAT2(a, b)
#define HP_PY_BINDING(ORDER, FN) \
  static const bool HP_PY_CONCAT(hp_py_registered_, __LINE__) = ::hppy::register_part({ORDER, FN})
