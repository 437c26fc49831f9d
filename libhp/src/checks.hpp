// Private: range checks where values enter, with one message style: key=value: expected <what is accepted>.
#pragma once

#include <string>

#include "format.hpp"
#include "hp/core.hpp"

namespace hp::detail {

/// v must be finite and in (lo, hi] (lo_open) or [lo, hi]; NaN and infinities never pass.
inline void require_number(const std::string& key, double v, double lo, double hi, bool lo_open = true) {
  const bool ok = (lo_open ? v > lo : v >= lo) && v <= hi;  // false for NaN
  if (!ok)
    throw ConfigError(key, format_number(v),
                      "expected a number in " + std::string(lo_open ? "(" : "[") + format_number(lo) + ", " +
                          format_number(hi) + "]");
}

/// v must be an integer in [lo, hi].
inline void require_int(const std::string& key, long long v, long long lo, long long hi) {
  if (v < lo || v > hi)
    throw ConfigError(key, std::to_string(v), "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
}

}  // namespace hp::detail
