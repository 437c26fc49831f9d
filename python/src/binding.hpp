// Registry of binding parts: each bind_*.cpp adds its functions with HP_PY_BINDING.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hp/core.hpp"
#include "hp/search_config.hpp"

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
  PyObject* argument_error = nullptr;
};
Exceptions& exceptions();

/// A keyword or an argument type Python code got wrong: raised as bignlp_hp.ArgumentError, both a ConfigError
/// (ValueError) and a TypeError, so `except TypeError` and `except ValueError` both catch it.
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `key=value: expected ...` (the ConfigError format) for an argument of the wrong type.
inline ArgumentError wrong_type(const std::string& key, const std::string& value, const std::string& expected) {
  return ArgumentError(hp::ConfigError(key, value, expected).what());
}

/// The writable attributes of a bound class (its keyword-constructor fields), sorted.
py::list settable_fields(const py::object& type);
/// "Layout: unknown keyword 'tpp' (did you mean 'tp'?); accepted: a, b, c".
std::string unknown_keyword_message(const std::string& where, const std::string& key, const py::list& accepted);

/// A search config given to Python as a YAML path or a dict (a dict goes through the same parser as a file), with
/// the `precisions` keyword (non-empty: replaces train_settings.precisions and its fp8: true; an unknown word is a
/// ConfigError naming `precisions`). Shared by search() and run_search().
hp::SearchConfig search_config_arg(const py::object& config, const std::vector<std::string>& precisions);

}  // namespace hppy

#define HP_PY_CONCAT2(a, b) a##b
#define HP_PY_CONCAT(a, b) HP_PY_CONCAT2(a, b)
#define HP_PY_BINDING(ORDER, FN) \
  static const bool HP_PY_CONCAT(hp_py_registered_, __LINE__) = ::hppy::register_part({ORDER, FN})
