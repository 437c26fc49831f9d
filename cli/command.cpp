#include "command.hpp"

#include <fmt/core.h>

#include <cstdio>

#include "hp/core.hpp"

namespace hpcli {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

bool register_command(Command c) {
  registry().push_back(std::move(c));
  return true;
}

CLI::Validator int_range(long long lo, long long hi) {
  const std::string accepted = "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, accepted](std::string& s) -> std::string {
        try {
          std::size_t used = 0;
          const long long v = std::stoll(s, &used);
          if (used == s.size() && v >= lo && v <= hi) return "";
        } catch (const std::exception&) {
        }
        return s + ": " + accepted;
      },
      "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

CLI::Validator finite_range(double lo, double hi) {
  const std::string accepted = fmt::format("expected a finite number in [{:g}, {:g}]", lo, hi);
  return CLI::Validator(
      [lo, hi, accepted](std::string& s) -> std::string {
        try {
          std::size_t used = 0;
          const double v = std::stod(s, &used);
          if (used == s.size() && v >= lo && v <= hi) return "";  // false for NaN; inf is outside [lo, hi]
        } catch (const std::exception&) {
        }
        return s + ": " + accepted;
      },
      fmt::format("NUMBER in [{:g}, {:g}]", lo, hi));
}

int run_guarded(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const hp::ConfigError& e) {
    fmt::print(stderr, "hp-cli: error: {}\n", e.what());
    return kUsage;
  } catch (const hp::IoError& e) {
    fmt::print(stderr, "hp-cli: error: {}\n", e.what());
    return kIo;
  } catch (const hp::NoFeasibleLayoutError& e) {
    fmt::print(stderr, "hp-cli: no feasible layout: {}\n", e.what());
    return kNoFeasible;
  } catch (const hp::ExecutorError& e) {
    fmt::print(stderr, "hp-cli: executor error: {}\n", e.what());
    return kExecutor;
  } catch (const hp::LogParseError& e) {
    fmt::print(stderr, "hp-cli: log error: {}\n", e.what());
    return kLogParse;
  } catch (const std::exception& e) {
    fmt::print(stderr, "hp-cli: internal error: {}\n", e.what());
    return kInternal;
  }
}

}  // namespace hpcli
