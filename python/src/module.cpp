#include <algorithm>
#include <cstring>

#include "binding.hpp"
#include "hp/core.hpp"

namespace hppy {

std::vector<Part>& parts() {
  static std::vector<Part> p;
  return p;
}
bool register_part(Part p) {
  parts().push_back(std::move(p));
  return true;
}
Exceptions& exceptions() {
  static Exceptions e;
  return e;
}

}  // namespace hppy

namespace {
// Messages can hold bytes of a user's file: decode them leniently so the real error, not a
// UnicodeDecodeError, reaches Python.
void set_error(PyObject* type, const char* what) {
  PyObject* msg = PyUnicode_DecodeUTF8(what, static_cast<Py_ssize_t>(std::strlen(what)), "backslashreplace");
  if (!msg) return;  // MemoryError already set
  PyErr_SetObject(type, msg);
  Py_DECREF(msg);
}
}  // namespace

PYBIND11_MODULE(_core, m) {
  namespace py = pybind11;
  m.doc() = "bignlp-hp core (C++ libhp). Use the bignlp_hp package, not this module.";
  m.attr("__version__") = hp::version();

  auto& ex = hppy::exceptions();
  // Heap-allocated exception objects live as long as the interpreter (pybind11's documented pattern).
  static py::exception<hp::Error> error(m, "Error", PyExc_RuntimeError);
  static py::exception<hp::ConfigError> config_error(m, "ConfigError", PyExc_ValueError);
  static py::exception<hp::IoError> io_error(m, "IoError", PyExc_OSError);
  static py::exception<hp::NoFeasibleLayoutError> no_feasible(m, "NoFeasibleLayoutError", error.ptr());
  static py::exception<hp::ExecutorError> executor_error(m, "ExecutorError", error.ptr());
  static py::exception<hp::LogParseError> log_parse_error(m, "LogParseError", error.ptr());
  ex.error = error.ptr();
  ex.config_error = config_error.ptr();
  ex.io_error = io_error.ptr();
  ex.no_feasible = no_feasible.ptr();
  ex.executor_error = executor_error.ptr();
  ex.log_parse_error = log_parse_error.ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    auto& e = hppy::exceptions();
    try {
      if (p) std::rethrow_exception(p);
    } catch (const hp::ConfigError& x) {
      set_error(e.config_error, x.what());
    } catch (const hp::IoError& x) {
      set_error(e.io_error, x.what());
    } catch (const hp::NoFeasibleLayoutError& x) {
      set_error(e.no_feasible, x.what());
    } catch (const hp::ExecutorError& x) {
      set_error(e.executor_error, x.what());
    } catch (const hp::LogParseError& x) {
      set_error(e.log_parse_error, x.what());
    } catch (const hp::Error& x) {
      set_error(e.error, x.what());
    }
  });

  auto parts = hppy::parts();
  std::sort(parts.begin(), parts.end(), [](const hppy::Part& a, const hppy::Part& b) { return a.order < b.order; });
  for (auto& part : parts) part.bind(m);
}
