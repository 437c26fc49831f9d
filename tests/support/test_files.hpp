// Test helper shared by the unit and Slurm test binaries: a whole file as text ("" when it is missing).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace hptest {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hptest
