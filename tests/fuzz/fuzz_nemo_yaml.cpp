// libFuzzer target: the NeMo training-config reader, then the layout and the estimate built from what it
// accepted (every value that passes the reader must be safe to compute with), and the YAML override writer.
#include "fuzz_common.hpp"
#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string text = hpfuzz::text(data, size);
  hpfuzz::expect_clean([&] {
    const hp::TrainingConfig c = hp::parse_nemo_yaml(text, "<fuzz>");
    const hp::Layout l = hp::layout_from_nemo(c);
    const hp::GpuSpec gpu = hp::find_gpu("h100-sxm");
    const hp::Estimate e = hp::estimate(c.model, l, gpu, hp::default_calibration(gpu));
    if (e.fits && !(e.time.step_time_s > 0)) std::abort();  // a fitting layout always has a positive step time
    (void)hp::to_nemo_yaml(c);
  });
  hpfuzz::expect_clean([&] { (void)hp::override_yaml(text, {{"model.micro_batch_size", "2"}, {"run.name", "x"}}); });
  return 0;
}
