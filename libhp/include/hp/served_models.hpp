// Models as serving benchmarks name them: Hugging Face ids and the usual spellings ("meta-llama/Llama-3.1-8B-Instruct",
// "nvidia/Llama-3.3-70B-Instruct-FP4", "Qwen/Qwen3-235B-A22B-FP8", "openai/gpt-oss-120b"), resolved to an
// architecture, and the catalogue of today's served models beyond NeMo's training configs.
// Public header: standard-library types only. The naming rule: docs/usage.md, "Served-model names".
#pragma once

#include <string>
#include <vector>

#include "hp/catalog.hpp"
#include "hp/model.hpp"

namespace hp {

/// A model resolved from a served name.
struct ServedModel {
  ModelSpec model;
  std::string key;           ///< served-catalogue key ("qwen3-235b-a22b"), catalogue key or validation name it matched
  std::string weight_dtype;  ///< what the name's quantization suffix says (-FP8: fp8, -FP4/-NVFP4: nvfp4, -MXFP4:
                             ///< mxfp4, -BF16: bf16, -FP16: fp16), else the checkpoint's native format for models
                             ///< published quantized (gpt-oss: mxfp4); "" = the name does not say
};

/// Today's served models with their published architectures (Hugging Face config.json), in release order.
/// published_size_b is the model card's total parameter count.
const std::vector<CatalogEntry>& served_model_catalog();

/// The canonical form of a served name: lower case, organisation ("meta-llama/") and "meta-" dropped, "_" as
/// "-", "llama3" as "llama-3", and trailing variant words stripped (instruct, chat, it, hf, base, a version
/// "v0.1", a 4-digit release date "0528", quantization words). `dtype` receives the rightmost quantization word's
/// weight dtype ("" when none).
std::string canonical_served_name(const std::string& name, std::string* dtype = nullptr);

/// Resolve a name: a catalogue key ("gpt3/5b", "llama/llama3_70b"), a NeMo base-config name ("llama3_70b"), a
/// validation model ("llama-2-70b"), or any spelling whose canonical form is a served-catalogue key or alias.
/// Throws ConfigError("model", name, ...) listing the served keys when nothing matches.
ServedModel resolve_served_model(const std::string& name);

}  // namespace hp
