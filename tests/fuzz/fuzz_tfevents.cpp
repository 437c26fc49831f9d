// libFuzzer target: the TensorBoard event-file reader (records, CRCs, protobuf Event/Summary decoding).
#include "fuzz_common.hpp"
#include "hp/logs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  hpfuzz::expect_clean([&] { (void)hp::parse_tensorboard_scalars(hpfuzz::text(data, size), hp::kStepTimingTag, "<fuzz>"); });
  return 0;
}
