// Keyword constructors of the bound classes (Layout(**fields), JobRequest(**fields), ...).
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "binding.hpp"

namespace hppy {

// Keyword constructor: defaults from the C++ struct, then each keyword set as an attribute. An unknown keyword
// or a value of the wrong type is an ArgumentError (a ConfigError and a TypeError) naming it and what is accepted;
// a bad value of the right type stays the setter's ConfigError.
template <class T>
T from_kwargs(const py::kwargs& kw) {
  T value{};
  py::object self = py::cast(&value, py::return_value_policy::reference);
  const py::object type = py::type::of(self);
  const std::string cls = type.attr("__name__").cast<std::string>();
  for (auto item : kw) {
    const std::string key = item.first.cast<std::string>();
    const auto v = py::reinterpret_borrow<py::object>(item.second);
    const py::list accepted = hppy::settable_fields(type);
    if (!accepted.contains(py::str(key))) throw hppy::ArgumentError(hppy::unknown_keyword_message(cls, key, accepted));
    try {
      py::setattr(self, key.c_str(), v);
    } catch (const py::error_already_set& e) {
      if (e.matches(PyExc_ValueError)) throw;
      throw hppy::ArgumentError(cls + ": " + key + "=" + py::repr(v).cast<std::string>() + " has type " +
                                py::type::of(v).attr("__name__").cast<std::string>() + ", expected " +
                                py::type::of(self.attr(key.c_str())).attr("__name__").cast<std::string>());
    }
  }
  return value;
}

}  // namespace hppy
