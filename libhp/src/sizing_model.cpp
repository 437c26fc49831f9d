// Size recommendation from the performance model: each pre-defined size's best layout on the cluster gives
// the throughput, instead of NeMo's assumed TFLOP/s per GPU (docs/model.md, "Sizing from the model").
#include <fmt/format.h>

#include <cmath>

#include "hp/catalog.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/search.hpp"
#include "hp/search_config.hpp"
#include "hp/sizing.hpp"
#include "format.hpp"

namespace hp {
namespace {

// NeMo's GBS table has 40 and 80 GB columns; larger GPUs (H200, B200) take the 80 GB one.
int table_memory_gb(const GpuSpec& gpu) { return gpu.memory_bytes >= 79e9 ? 80 : 40; }

SizeCandidate evaluate_size(const CatalogEntry& e, const SizingInput& in, const GpuSpec& gpu,
                            const Calibration& calibration) {
  SizeCandidate c;
  c.config = e.key;
  c.size_b = e.nominal_size_b;
  c.num_tokens_in_b = tokens_for_size_b(in, e.nominal_size_b);
  c.global_batch_size = default_gbs_tp_pp(e.model.family, e.nominal_size_b, table_memory_gb(gpu), e.model.seq_length)
                            .global_batch_size;
  TrainSettings train;  // the search's defaults: every layout of the auto space
  train.model = e.model.family;
  train.gpu = gpu.name;
  EstimateOptions options;
  options.memory_margin = train.memory_margin;
  const SearchSpace space = default_space(e.model, train, gpu, in.num_gpus, c.global_batch_size);
  const SearchResult ranked = rank_space(e.model, space, gpu, calibration, options);
  if (ranked.feasible == 0 || ranked.ranked.empty()) return c;
  const RankedLayout& best = ranked.ranked.front();
  c.fits = true;
  c.layout = best.layout;
  c.tflops_per_gpu = best.tflops_per_gpu;
  c.tokens_per_s_per_gpu = best.tokens_per_s_per_gpu;
  c.mfu = best.mfu;
  // Days from the model's tokens/s (no FLOPs-per-token convention involved): tokens / (GPUs x tokens/s/GPU).
  c.training_days = c.num_tokens_in_b * 1e9 / (in.num_gpus * c.tokens_per_s_per_gpu) / kSecondsPerDay;
  return c;
}

std::string describe_tried(const std::vector<SizeCandidate>& tried) {
  std::string s;
  for (const SizeCandidate& c : tried)
    s += (s.empty() ? "" : "; ") + (c.fits ? fmt::format("{} {:.1f} days at {:.0f} TFLOP/s/GPU", c.config,
                                                          c.training_days, c.tflops_per_gpu)
                                           : c.config + " fits no layout");
  return s;
}

}  // namespace

SizeRecommendation recommend_model_size_from_model(const SizingInput& in) {
  // Same checks as NeMo's rule (tflops_per_gpu is unused but keeps its default).
  estimate_model_size_b(in);
  const GpuSpec gpu = find_gpu(in.gpu);
  const Calibration calibration = default_calibration(gpu);
  SizeRecommendation r;
  r.from_model = true;
  for (const CatalogEntry& e : model_catalog())
    if (e.model.family == in.family) r.tried.push_back(evaluate_size(e, in, gpu, calibration));
  // The largest size that trains within the budget. Sizes are in ascending order in the catalogue.
  const SizeCandidate* pick = nullptr;
  for (const SizeCandidate& c : r.tried)
    if (c.fits && c.training_days <= in.max_training_days && (!pick || c.size_b > pick->size_b)) pick = &c;
  if (!pick) {
    // What would fit: the smallest size that runs, with the days or GPUs it needs.
    const SizeCandidate* smallest = nullptr;
    for (const SizeCandidate& c : r.tried)
      if (c.fits && (!smallest || c.training_days < smallest->training_days)) smallest = &c;
    const std::string tried = describe_tried(r.tried);
    if (!smallest)
      throw NoFeasibleLayoutError(fmt::format(
          "no {} size fits on {} x {} (tried: {}); give more GPUs or a GPU with more memory", in.family, in.num_gpus,
          gpu.name, tried));
    throw NoFeasibleLayoutError(fmt::format(
        "no {} size trains in max_training_days={} on {} x {} (tried: {}); {} would fit with {:.1f} days or about "
        "{} GPUs",
        in.family, detail::format_number(in.max_training_days), in.num_gpus, gpu.name, tried, smallest->config,
        smallest->training_days, static_cast<long>(std::ceil(in.num_gpus * smallest->training_days / in.max_training_days))));
  }
  r.recommended_config = pick->config;
  r.recommended_size_b = pick->size_b;
  r.training_days = std::round(pick->training_days * 100.0) / 100.0;
  r.tflops_per_gpu = pick->tflops_per_gpu;
  r.mfu = pick->mfu;
  r.layout = pick->layout;
  r.num_tokens_in_b = pick->num_tokens_in_b;
  // The size the budget trains at the recommended config's throughput: days grow as P with fixed tokens and
  // as P^2 with tokens per parameter (the per-GPU throughput held at the recommended config's).
  const double ratio = in.max_training_days / pick->training_days;
  r.estimated_size_b =
      std::round(pick->size_b * (in.tokens_per_parameter > 0 ? std::sqrt(ratio) : ratio) * 100.0) / 100.0;
  r.message = fmt::format(
      "{} trains in {:.2f} days on {} x {} at {:.0f} TFLOP/s per GPU ({:.1f}% MFU) with {}; the largest pre-defined "
      "size within {} days. At that throughput the budget trains about {}B parameters.",
      pick->config, pick->training_days, in.num_gpus, gpu.name, pick->tflops_per_gpu, 100.0 * pick->mfu,
      describe_layout(pick->layout), detail::format_number(in.max_training_days),
      detail::format_number(r.estimated_size_b));
  return r;
}

}  // namespace hp
