// Subcommand registry for hp-cli: each commands/*.cpp registers itself with HP_CLI_COMMAND.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "hp/core.hpp"

namespace hpcli {

/// Exit codes, mapped from libhp's error kinds in one place (run_guarded).
enum ExitCode : int {
  kOk = 0,
  kInternal = 1,
  kUsage = 2,        // bad command line or bad configuration value (hp::ConfigError)
  kIo = 3,           // unreadable/unwritable file (hp::IoError)
  kNoFeasible = 4,   // the search found no layout that fits (hp::NoFeasibleLayoutError)
  kExecutor = 5,     // a job could not be submitted or polled (hp::ExecutorError)
  kLogParse = 6,     // a log could not be parsed (hp::LogParseError)
  kTrialsFailed = 7, // every trial of a search failed
};

struct Command {
  std::string name;
  int order;  // position in --help
  // Adds the subcommand to app; the returned callback runs it and returns the exit code.
  std::function<std::function<int()>(CLI::App& app)> setup;
};

std::vector<Command>& registry();
bool register_command(Command c);

/// CLI11 check for an integer option: a whole number in [lo, hi]. The message names the value and the range
/// (CLI11 prefixes the option name); a failed check exits 2 like every bad input.
CLI::Validator int_range(long long lo, long long hi);
/// CLI11 check for a number option: finite (no nan/inf) and in [lo, hi].
CLI::Validator finite_range(double lo, double hi);

/// An on/off switch as two flags, --NAME and --no-NAME, that exclude each other: --help shows each with its own
/// text (CLI11's "--x,!--no-x" form prints "{false}" beside a default that is on). set(true) / set(false) runs for
/// the one given; neither given leaves the default. Returns the two options (count() says whether given).
std::pair<CLI::Option*, CLI::Option*> add_switch(CLI::App& app, const std::string& name, std::function<void(bool)> set,
                                                 const std::string& help_on, const std::string& help_off);

/// Columns every line of hp-cli's text output fits in (tests/python checks the demo's output).
constexpr std::size_t kLineWidth = 120;
/// Word-wrap text to kLineWidth columns; continuation lines start with indent. Words longer than a line stay whole.
std::string wrap(const std::string& text, const std::string& indent = "  ");

/// Runs fn, printing "hp-cli: error: <message>" and mapping exceptions to exit codes.
int run_guarded(const std::function<int()>& fn);

}  // namespace hpcli

#define HP_CLI_CONCAT2(a, b) a##b
#define HP_CLI_CONCAT(a, b) HP_CLI_CONCAT2(a, b)
#define HP_CLI_COMMAND(NAME, ORDER, SETUP) \
  static const bool HP_CLI_CONCAT(hp_cli_registered_, __LINE__) = ::hpcli::register_command({NAME, ORDER, SETUP})
