// Records of a size recommendation: one schema for hp-cli recommend --json and the Python dict (docs/usage.md).
#include "hp/sizing.hpp"

namespace hp {

Record layout_record(const Layout& l) {
  Record r;
  r.integer("tp", l.tp)
      .integer("pp", l.pp)
      .integer("vp", l.vp)
      .integer("cp", l.cp)
      .integer("ep", l.ep)
      .integer("dp", l.dp())
      .integer("mbs", l.mbs)
      .integer("gbs", l.gbs)
      .text("recompute", to_string(l.recompute))
      .integer("recompute_num_layers", l.recompute_num_layers)
      .text("recompute_modules", recompute_modules_to_string(l.selective_modules()))
      .boolean("sequence_parallel", l.sequence_parallel)
      .boolean("distributed_optimizer", l.distributed_optimizer)
      .boolean("fp8", l.fp8());
  return r;
}

Record size_recommendation_record(const SizingInput& in, const SizeRecommendation& r) {
  Record out;
  out.text("model", in.family)
      .integer("num_gpus", in.num_gpus)
      ;
  if (in.gpu.empty()) out.null("gpu"); else out.text("gpu", in.gpu);
  out
      .text("throughput_source", r.from_model ? "model" : "assumed")
      .number("tflops_per_gpu", r.tflops_per_gpu)
      .optional_number("mfu_pct", 100.0 * r.mfu, r.from_model)
      .number("max_training_days", in.max_training_days)
      .number("num_tokens_in_b", r.num_tokens_in_b)
      .optional_number("tokens_per_parameter", in.tokens_per_parameter, in.tokens_per_parameter > 0)
      .number("estimated_size_b", r.estimated_size_b)
      .text("recommended_config", r.recommended_config)
      .number("recommended_size_b", r.recommended_size_b)
      .number("training_days", r.training_days)
      .text("message", r.message);
  return out;
}

Record size_candidate_record(const SizeCandidate& c) {
  Record r;
  r.text("config", c.config)
      .number("size_b", c.size_b)
      .boolean("fits", c.fits)
      .integer("global_batch_size", c.global_batch_size)
      .number("num_tokens_in_b", c.num_tokens_in_b)
      .optional_number("tflops_per_gpu", c.tflops_per_gpu, c.fits)
      .optional_number("mfu_pct", 100.0 * c.mfu, c.fits)
      .optional_number("training_days", c.training_days, c.fits);
  return r;
}

}  // namespace hp
