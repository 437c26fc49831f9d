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

std::pair<CLI::Option*, CLI::Option*> add_switch(CLI::App& app, const std::string& name, std::function<void(bool)> set,
                                                 const std::string& help_on, const std::string& help_off) {
  CLI::Option* on = app.add_flag_callback("--" + name, [set] { set(true); }, help_on);
  CLI::Option* off = app.add_flag_callback("--no-" + name, [set] { set(false); }, help_off);
  on->excludes(off);
  return {on, off};
}

std::string wrap(const std::string& text, const std::string& indent) {
  // The first line keeps the text's own leading spaces.
  std::size_t start = text.find_first_not_of(' ');
  if (start == std::string::npos) return text + "\n";
  std::string out, line = text.substr(0, start);
  bool first_word = true;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!first_word && line.size() + 1 + word.size() > kLineWidth) {
      out += line + "\n";
      line = indent + word;
    } else {
      line += (first_word ? "" : " ") + word;
    }
    first_word = false;
    start = end + 1;
  }
  return out + line + "\n";
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
