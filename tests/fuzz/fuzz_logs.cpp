// libFuzzer target: the console log parsers (NeMo 1.x/2.0, Megatron-LM), failure classification, NeMo's step
// time rule on what they read, and the inference benchmark output parsers.
#include <cmath>

#include "fuzz_common.hpp"
#include "hp/inference_bench.hpp"
#include "hp/logs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string text = hpfuzz::text(data, size);
  hpfuzz::expect_clean([&] {
    const hp::TrainingLog log = hp::parse_console_log(text, "<fuzz>");
    for (double s : log.step_times_s)
      if (!hp::plausible_step_time(s)) std::abort();  // the reader drops implausible step times
    const hp::StepTimeStats st = hp::nemo_step_time(log.step_times_s);
    if (st.valid && !(st.mean_s >= 0 && std::isfinite(st.mean_s))) std::abort();
    (void)hp::classify_text(text, "<fuzz>");
  });
  for (hp::BenchTool tool : {hp::BenchTool::fastertransformer, hp::BenchTool::trtllm, hp::BenchTool::vllm, hp::BenchTool::sglang})
    hpfuzz::expect_clean([&] { (void)hp::parse_bench_output(tool, text, hp::InferenceLayout{}); });
  return 0;
}
