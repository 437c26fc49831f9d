// Private helpers for reading YAML with errors that name the dotted key and the bad value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "hp/core.hpp"

namespace hp::yaml {

/// Parse text; a syntax error becomes ConfigError("<origin>", line:col, message).
YAML::Node parse(const std::string& text, const std::string& origin);

/// Read a file's text; throws IoError.
std::string read_file(const std::string& path);

/// Scalar as text for messages.
std::string text(const YAML::Node& n);

bool is_null(const YAML::Node& n);

/// n[key] when n is a mapping, else an undefined node (yaml-cpp throws on operator[] of a scalar or of an
/// undefined node): chains like child(child(m, "optim"), "sched") never throw.
YAML::Node child(const YAML::Node& n, const std::string& key);

/// Block YAML with 2-space indent, clock-like scalars ("12:23:30:00", "0-00:20:00") double-quoted: YAML 1.1
/// readers (PyYAML, so OmegaConf and NeMo) read unquoted 12:23:30:00 as the base-60 integer 2676600.
std::string emit(const YAML::Node& root);

/// Safe on a missing key (yaml-cpp's const lookup of a missing key gives a node whose IsMap() throws).
inline bool is_map(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }

int get_int(const YAML::Node& n, const std::string& key);
long long get_int64(const YAML::Node& n, const std::string& key);
/// A finite number: .nan and .inf are rejected here, where values enter, so no formula ever sees them.
double get_double(const YAML::Node& n, const std::string& key);
bool get_bool(const YAML::Node& n, const std::string& key);
std::string get_string(const YAML::Node& n, const std::string& key);
/// "auto", null or a missing key -> empty list; a scalar -> a list of one.
std::vector<int> get_int_list(const YAML::Node& n, const std::string& key);
std::vector<std::string> get_string_list(const YAML::Node& n, const std::string& key);

}  // namespace hp::yaml
