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
