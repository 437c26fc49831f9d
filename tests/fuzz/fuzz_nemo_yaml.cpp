// libFuzzer target: the NeMo training-config reader, then what the search does with a config it accepted
// (every value that passes the reader must be safe to compute with and to write back): the layout and the
// estimate, the YAML writer, and the override writer on the same text (a user's custom_config:
// search_output.cpp applies each trial's overrides to it).
//
// Only accepted inputs go on to the writers, as in the product (search.cpp reads a custom_config with
// parse_nemo_yaml before anything overrides it). About 9 in 10 mutated inputs are rejected by the reader, and
// override_yaml on them only repeated the same yaml-cpp parse (yaml::parse) the reader had just done: half the
// time per execution for no new code (docs/testing.md, "Throughput of the targets").
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
    hpfuzz::expect_clean([&] { (void)hp::override_yaml(text, {{"model.micro_batch_size", "2"}, {"run.name", "x"}}); });
  });
  return 0;
}
