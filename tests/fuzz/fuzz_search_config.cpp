// libFuzzer target: the search-config reader (NeMo search_config YAML: train_settings, inference_settings).
#include "fuzz_common.hpp"
#include "hp/search_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  hpfuzz::expect_clean([&] { (void)hp::parse_search_config(hpfuzz::text(data, size), "<fuzz>"); });
  return 0;
}
