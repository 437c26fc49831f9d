// hp-cli: a thin command line over libhp. Parsing and rendering only; formulas live in libhp.
#include <algorithm>
#include <map>

#include "command.hpp"
#include "hp/core.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bignlp-hp: size, configure, search and serve large language models on NeMo-Megatron"};
  app.require_subcommand(1);
  app.set_version_flag("--version", hp::version());

  auto commands = hpcli::registry();
  std::sort(commands.begin(), commands.end(),
            [](const hpcli::Command& a, const hpcli::Command& b) { return a.order < b.order; });
  std::map<CLI::App*, std::function<int()>> runners;
  for (const auto& c : commands) {
    auto* sub = app.add_subcommand(c.name);
    runners[sub] = c.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : hpcli::kUsage;
  }
  for (auto* sub : app.get_subcommands()) {
    auto it = runners.find(sub);
    if (it != runners.end()) return hpcli::run_guarded(it->second);
  }
  return hpcli::kUsage;
}
