// How Python renders libhp's records (hp/record.hpp): a dict per record, or columns for a DataFrame.
#pragma once

#include <pybind11/pybind11.h>

#include <vector>

#include "hp/record.hpp"

namespace hppy {

inline pybind11::object record_value(const hp::RecordValue& v) {
  namespace py = pybind11;
  switch (v.kind) {
    case hp::RecordValue::Kind::boolean: return py::bool_(v.boolean);
    case hp::RecordValue::Kind::integer: return py::int_(v.integer);
    case hp::RecordValue::Kind::number: return py::float_(v.number);
    case hp::RecordValue::Kind::text: return py::str(v.text);
    case hp::RecordValue::Kind::null: break;
  }
  return py::none();
}

inline pybind11::dict record_dict(const hp::Record& record) {
  pybind11::dict d;
  for (const auto& [key, v] : record.fields()) d[pybind11::str(key)] = record_value(v);
  return d;
}

/// Records of one schema as {field: [values]}; `schema` (any record of it) names the columns when there are none.
inline pybind11::dict record_columns(const std::vector<hp::Record>& records, const hp::Record& schema) {
  pybind11::dict cols;
  for (const auto& field : schema.fields()) cols[pybind11::str(field.first)] = pybind11::list();
  for (const hp::Record& r : records)
    for (const auto& [key, v] : r.fields()) cols[pybind11::str(key)].cast<pybind11::list>().append(record_value(v));
  return cols;
}

}  // namespace hppy
