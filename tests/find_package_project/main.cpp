// Fails (non-zero) unless the installed library links and computes a known parameter count.
#include <hp/catalog.hpp>
#include <hp/model.hpp>

#include <cstdio>

int main() {
  const hp::ModelSpec m = hp::find_model("gpt3/126m");
  const auto n = hp::count_parameters(m).total;
  std::printf("gpt3/126m: %lld parameters\n", static_cast<long long>(n));
  return (n > 120000000 && n < 135000000) ? 0 : 1;
}
