// Private: a number as users wrote it, for error messages ("5000", "0.126", "-1").
#pragma once

#include <sstream>
#include <string>

namespace hp::detail {

inline std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace hp::detail
