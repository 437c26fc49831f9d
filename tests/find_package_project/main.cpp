// Fails (non-zero) unless the installed libraries link: a known parameter count (hp::hp) and a command split into
// words without a shell (hp::run).
#include <hp/catalog.hpp>
#include <hp/model.hpp>
#include <hp/run/executor.hpp>

#include <cstdio>

int main() {
  const hp::ModelSpec m = hp::find_model("gpt3/126m");
  const auto n = hp::count_parameters(m).total;
  std::printf("gpt3/126m: %lld parameters\n", static_cast<long long>(n));
  const auto words = hp::run::split_command("train --name 'a b'");
  std::printf("split_command: %zu words\n", words.size());
  return (n > 120000000 && n < 135000000 && words.size() == 3) ? 0 : 1;
}
