// The values commands assume when the user gives none: one source for estimate, search and the bindings, so
// that the same layout gets the same answer from every command. Public header: standard-library types only.
#pragma once

#include <string>

#include "hp/hardware.hpp"

namespace hp {

/// The GPU assumed when none is named: NeMo launcher's, whose search config gives only gpu_memory_gb (default 80,
/// meaning A100 80GB; gpu_for_memory_gb). hp-cli search, estimate and recommend all assume it.
GpuSpec default_gpu();
/// Why default_gpu() is the default, in words (commands print it when they assume it).
std::string default_gpu_reason();

/// Sequence parallelism when not given: on when tp > 1. It shards the activations that TP keeps replicated at the
/// same communication volume (Korthikanti et al. 2022, section 4.2.2), so NeMo's and Megatron's recipes turn it on
/// with TP; with tp 1 it does nothing. The search's auto space, the runs reader and hp-cli estimate assume it.
bool default_sequence_parallel(int tp) noexcept;

}  // namespace hp
