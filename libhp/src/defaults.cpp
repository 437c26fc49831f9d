// Defaults shared by every command (hp/defaults.hpp).
#include "hp/defaults.hpp"

#include "hp/search_config.hpp"

namespace hp {

GpuSpec default_gpu() { return gpu_for_memory_gb(TrainSettings{}.gpu_memory_gb); }

std::string default_gpu_reason() {
  return "the default GPU: NeMo's search config default gpu_memory_gb " + std::to_string(TrainSettings{}.gpu_memory_gb) +
         " means " + default_gpu().name;
}

bool default_sequence_parallel(int tp) noexcept { return tp > 1; }

}  // namespace hp
