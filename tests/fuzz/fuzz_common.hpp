// Shared by the libFuzzer targets: bad input must end in an hp::Error (ConfigError, IoError, LogParseError, ...);
// any other exception (a yaml-cpp one escaping, std::out_of_range, ...) is a bug and aborts the run, as do
// crashes, hangs and sanitizer findings. Run with scripts/fuzz.sh.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "hp/core.hpp"

namespace hpfuzz {

template <class Fn>
void expect_clean(Fn&& fn) {
  try {
    fn();
  } catch (const hp::Error&) {
    // the documented outcome for bad input
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped exception (not hp::Error): %s\n", e.what());
    std::abort();
  }
}

inline std::string text(const unsigned char* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace hpfuzz
