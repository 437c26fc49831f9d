// A layout's precision recipe as NeMo config keys (internal): the recipe defaults a trial gets when the search
// changes the precision, and the model.* keys every writer (GPT YAML, family YAML, a user's custom config) emits.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hp/nemo_config.hpp"
#include "hp/perf.hpp"

namespace hp::detail {

/// Set c's precision keys to the recipe of `precision` (Megatron-Bridge mixed_precision.py): fp8 delayed =
/// hybrid format, amax history; fp8-cs = hybrid, fp8_recipe tensorwise, first and last layer in BF16; mxfp8 =
/// e4m3, fp8_recipe mxfp8; nvfp4 = fp8 off, fp4 e2m1, fp4_recipe nvfp4; bf16 = all off.
void set_precision_recipe(TrainingConfig& c, Precision precision);

/// The precision keys beyond model.fp8 as (dotted key, YAML scalar) rows, only those that are not NeMo's
/// defaults in c or in `was` (so a key the base config set is reset): model.fp8_e4m3, model.fp8_hybrid,
/// model.fp8_recipe, model.fp4, model.fp4_recipe, model.first_last_layers_bf16, model.num_layers_at_*_in_bf16.
std::vector<std::pair<std::string, std::string>> precision_rows(const TrainingConfig& c, const TrainingConfig& was);

}  // namespace hp::detail
