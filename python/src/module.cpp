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

py::list settable_fields(const py::object& type) {
  py::list out;
  const py::object property = py::module_::import("builtins").attr("property");
  for (auto name : py::module_::import("builtins").attr("dir")(type)) {
    const std::string n = name.cast<std::string>();
    if (n.rfind("_", 0) == 0) continue;
    const py::object attr = py::getattr(type, name);
    if (py::isinstance(attr, property) && !attr.attr("fset").is_none()) out.append(name);
  }
  out.attr("sort")();
  return out;
}

std::string unknown_keyword_message(const std::string& where, const std::string& key, const py::list& accepted) {
  const py::list close = py::module_::import("difflib").attr("get_close_matches")(key, accepted, 1);
  std::string msg = where + ": unknown keyword '" + key + "'";
  if (!close.empty()) msg += " (did you mean '" + close[0].cast<std::string>() + "'?)";
  return msg + "; accepted: " + py::str(", ").attr("join")(accepted).cast<std::string>();
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
  // Both a ConfigError (what bad input always was) and a TypeError (what Python raises for a bad keyword).
  PyObject* bases = PyTuple_Pack(2, config_error.ptr(), PyExc_TypeError);
  ex.argument_error = PyErr_NewExceptionWithDoc("bignlp_hp._core.ArgumentError",
                                                "A misspelled keyword or an argument of the wrong type.", bases, nullptr);
  Py_DECREF(bases);
  if (!ex.argument_error) throw py::error_already_set();
  m.add_object("ArgumentError", py::handle(ex.argument_error));
  py::register_exception_translator([](std::exception_ptr p) {
    auto& e = hppy::exceptions();
    try {
      if (p) std::rethrow_exception(p);
    } catch (const hppy::ArgumentError& x) {
      set_error(e.argument_error, x.what());
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
