// Errors, version and unit helpers shared by every part of libhp.
// Public header: standard-library types only.
#pragma once

#include <stdexcept>
#include <string>

namespace hp {

/// Version of libhp, "MAJOR.MINOR.PATCH".
std::string version();

/// Base of every exception libhp throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A user value as it may appear in a message: control bytes and bytes >= 0x7F as \xNN, at most 200 characters,
/// so a binary value can neither garble a terminal nor break a Python str.
inline std::string printable(const std::string& value) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : value) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// Bad user input: an unknown name, a value out of range, a malformed or unreadable file.
/// The message names the key (a dotted path where it comes from a file) and the bad value.
class ConfigError : public Error {
 public:
  ConfigError(std::string key, std::string value, const std::string& why)
      : Error(printable(key) + "=" + printable(value) + ": " + why), key_(std::move(key)), value_(std::move(value)) {}
  const std::string& key() const noexcept { return key_; }
  const std::string& value() const noexcept { return value_; }

 private:
  std::string key_;
  std::string value_;
};

/// A file could not be read or written (I/O, not content).
class IoError : public Error {
 public:
  IoError(std::string path, const std::string& why) : Error(path + ": " + why), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// A job could not be submitted, polled or cancelled.
class ExecutorError : public Error {
 public:
  using Error::Error;
};

/// A log could not be parsed (corrupt record, unknown format).
class LogParseError : public Error {
 public:
  using Error::Error;
};

/// Search produced no feasible layout (not a bug: the caller maps it to its own exit code).
class NoFeasibleLayoutError : public Error {
 public:
  using Error::Error;
};

// Unit conversions at the edges. Inside the library everything is SI (bytes, seconds, FLOP/s).
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kGB = 1e9;
constexpr double kTera = 1e12;
constexpr double kSecondsPerDay = 86400.0;

}  // namespace hp
