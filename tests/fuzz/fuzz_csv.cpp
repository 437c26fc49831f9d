// libFuzzer target: the CSV readers (measured runs -> model and layout per row, estimated; inference
// measurements).
#include "fuzz_common.hpp"
#include "hp/inference_validate.hpp"
#include "hp/perf.hpp"
#include "hp/runs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string text = hpfuzz::text(data, size);
  hpfuzz::expect_clean([&] {
    const hp::Table t = hp::parse_csv(text, "<fuzz>");
    for (const auto& r : hp::runs_from_table(t)) {
      if (!r.ok()) continue;
      hpfuzz::expect_clean([&] { (void)hp::estimate(r.model, r.layout, r.gpu, hp::default_calibration(r.gpu)); });
    }
  });
  hpfuzz::expect_clean([&] { (void)hp::parse_inference_measurements_csv(text, "<fuzz>"); });
  return 0;
}
