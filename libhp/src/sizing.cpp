// Size recommendation and time to train: NeMo launcher's formulas (nemo_autoconfigurator.md section 2).
#include "hp/sizing.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "hp/catalog.hpp"
#include "checks.hpp"
#include "format.hpp"
#include "hp/perf.hpp"
#include "hp/core.hpp"

namespace hp {
namespace {

void check(const SizingInput& in) {
  check_family(in.family);
  detail::require_int("num_gpus", in.num_gpus, 1, kMaxLayoutSize);
  detail::require_number("tflops_per_gpu", in.tflops_per_gpu, 0, kMaxTflopsPerGpu);
  detail::require_number("max_training_days", in.max_training_days, 0, kMaxTrainingDays);
  detail::require_number("num_tokens_in_b", in.num_tokens_in_b, 0, kMaxTokensB);
  if (!(in.tokens_per_parameter >= 0) || !std::isfinite(in.tokens_per_parameter))
    throw ConfigError("tokens_per_parameter", detail::format_number(in.tokens_per_parameter),
                      "must be a positive number (20 = compute-optimal), or 0 to use num_tokens_in_b");
}

// 8 FLOPs per parameter per token: 6 for forward and backward (Kaplan et al. 2020, C = 6ND) plus 2 for the
// recomputed forward pass under full activation checkpointing. NeMo scales mT5 by 0.87 (size) / 1.15 (days).
constexpr double kFlopsPerParamToken = 8.0;
double size_factor(const std::string& family) { return family == "mt5" ? 0.87 : 1.0; }
double days_factor(const std::string& family) { return family == "mt5" ? 1.15 : 1.0; }

double round2(double v) { return std::round(v * 100.0) / 100.0; }

}  // namespace

double tokens_for_size_b(const SizingInput& in, double size_b) {
  return in.tokens_per_parameter > 0 ? in.tokens_per_parameter * size_b : in.num_tokens_in_b;
}

double estimate_model_size_b(const SizingInput& in) {
  check(in);
  const double flops = in.max_training_days * kSecondsPerDay * in.num_gpus * in.tflops_per_gpu * kTera;
  // Tokens fixed: 8 P T = C. Tokens per parameter k: T = k P, so 8 k P^2 = C (Hoffmann et al. 2022).
  if (in.tokens_per_parameter > 0)
    return round2(std::sqrt(size_factor(in.family) * flops / (kFlopsPerParamToken * in.tokens_per_parameter)) / 1e9);
  return round2(size_factor(in.family) * flops / (kFlopsPerParamToken * in.num_tokens_in_b * 1e9) / 1e9);
}

double training_days(const SizingInput& in, double size_b) {
  check(in);
  detail::require_number("model_size_in_b", size_b, 0, kMaxModelSizeB);
  const double flops = size_b * 1e9 * kFlopsPerParamToken * tokens_for_size_b(in, size_b) * 1e9;
  return round2(days_factor(in.family) * flops / (kSecondsPerDay * in.num_gpus * in.tflops_per_gpu * kTera));
}

SizeRecommendation recommend_model_size(const SizingInput& in) {
  if (!in.gpu.empty()) return recommend_model_size_from_model(in);
  SizeRecommendation r;
  r.estimated_size_b = estimate_model_size_b(in);
  if (!(r.estimated_size_b > 0))
    throw ConfigError("max_training_days", detail::format_number(in.max_training_days),
                      "the budget trains no model of at least 0.01B parameters; give more GPUs or days");
  // Nearest pre-defined config on a log scale: sizes are compared by ratio, not difference.
  double best = std::numeric_limits<double>::infinity();
  for (const auto& e : model_catalog()) {
    if (e.model.family != in.family) continue;
    const double d = std::abs(std::log(e.nominal_size_b / r.estimated_size_b));
    if (d < best) {
      best = d;
      r.recommended_config = e.key;
      r.recommended_size_b = e.nominal_size_b;
    }
  }
  r.training_days = training_days(in, r.recommended_size_b);
  r.tflops_per_gpu = in.tflops_per_gpu;
  r.num_tokens_in_b = tokens_for_size_b(in, r.recommended_size_b);
  std::ostringstream os;
  os << "You can train a " << r.estimated_size_b << "B parameter model in " << in.max_training_days << " days using "
     << in.num_gpus << " GPUs. This result assumes you are training to ";
  if (in.tokens_per_parameter > 0)
    os << in.tokens_per_parameter << " tokens per parameter";
  else
    os << in.num_tokens_in_b << "B tokens";
  os << ", and each GPU achieves " << in.tflops_per_gpu << " TFLOPS.";
  r.message = os.str();
  return r;
}

}  // namespace hp
