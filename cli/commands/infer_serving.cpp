// hp-cli infer-search, serving modes: rank, Pareto front, best aggregated vs disaggregated, bounds.
#include "infer_serving.hpp"

#include <fmt/core.h>

#include <chrono>
#include <filesystem>

#include "command.hpp"
#include "json.hpp"
#include "hp/core.hpp"
#include "hp/inference_search.hpp"
#include "hp/nemo_config.hpp"
#include "hp/serving_search.hpp"

namespace hpcli {

namespace {

// The library's record (the same names and types as bignlp_hp's rows).
std::string candidate_json(const hp::ServingCandidate& c) { return hp::run::json_record(hp::serving_candidate_record(c)); }

std::string layout_text(const hp::ServingCandidate& c) {
  if (!c.disaggregated)
    return fmt::format("agg tp{} pp{}{}{}", c.layout.tp, c.layout.pp, c.layout.ep > 1 ? fmt::format(" ep{}", c.layout.ep) : "",
                       c.layout.attention_dp ? " adp" : "");
  return fmt::format("disagg {}x(tp{} pp{}) + {}x(tp{} pp{})", c.prefill_workers, c.prefill_layout.tp,
                     c.prefill_layout.pp, c.decode_workers, c.layout.tp, c.layout.pp);
}

}  // namespace

int run_serving_search(const hp::SearchConfig& config, const std::string& results_dir, bool json, bool profile) {
  const hp::ModelSpec model = hp::inference_model(config);
  const hp::GpuSpec gpu = hp::inference_gpu(config);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = hp::serving_search(model, gpu, config.inference,
                                    hp::default_inference_calibration(gpu, config.inference.engine));
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (profile)
    fmt::print(stderr, "profile: {} serving layouts evaluated in {:.4f} s ({:.2f} us per layout)\n", r.candidates.size(),
               elapsed_s, r.candidates.empty() ? 0.0 : elapsed_s * 1e6 / r.candidates.size());
  std::string written;
  if (!results_dir.empty()) {
    std::filesystem::create_directories(results_dir);
    written = (std::filesystem::path(results_dir) / "serving_output.csv").string();
    hp::write_file_atomic(written, hp::serving_csv(r));
  }
  int n_fit = 0, n_pareto = 0;
  for (const auto& c : r.candidates) {
    n_fit += c.fits;
    n_pareto += c.pareto;
  }
  const auto& s = r.settings;
  const std::string why = hp::serving_no_feasible_message(r);
  if (json) {
    std::string top, front;
    for (int i = 0; i < r.num_top; ++i) top += (i ? "," : "") + candidate_json(r.candidates[static_cast<size_t>(i)]);
    for (const auto& c : r.candidates)
      if (c.pareto) front += (front.empty() ? "" : ",") + candidate_json(c);
    auto at = [&](int i) { return i >= 0 ? candidate_json(r.candidates[static_cast<size_t>(i)]) : std::string("null"); };
    fmt::print("{{\"model\":{},\"gpu\":{},\"mode\":\"{}\",\"engine\":{},\"data_type\":\"{}\",\"num_candidates\":{},"
               "\"num_fit\":{},\"num_pareto\":{},\"max_ttft_ms\":{},\"max_tpot_ms\":{},\"max_latency_ms\":{},"
               "\"lowest_ttft_ms\":{},\"lowest_tpot_ms\":{},\"best\":{},\"best_aggregated\":{},"
               "\"best_disaggregated\":{},\"top\":[{}],\"pareto\":[{}],\"message\":{},\"csv\":{}}}\n",
               json_string(r.model.name), json_string(r.gpu.name), s.mode, json_string(s.engine), s.data_type,
               r.candidates.size(), n_fit, n_pareto, s.max_ttft_ms, s.max_tpot_ms, s.max_latency_ms,
               r.lowest_ttft_s * 1e3, r.lowest_tpot_s * 1e3, at(r.best), at(r.best_aggregated),
               at(r.best_disaggregated), top, front, json_string(why), json_string(written));
  } else {
    fmt::print("serving search ({}): {} on {} ({}, {}), {} layouts in {:.3g} s, {} fit, {} on the Pareto front, "
               "bounds TTFT {} TPOT {} latency {}\n",
               s.mode, r.model.name, r.gpu.name, s.data_type, s.engine, r.candidates.size(), elapsed_s, n_fit, n_pareto,
               s.max_ttft_ms > 0 ? fmt::format("{:g} ms", s.max_ttft_ms) : "none",
               s.max_tpot_ms > 0 ? fmt::format("{:g} ms", s.max_tpot_ms) : "none",
               s.max_latency_ms > 0 ? fmt::format("{:g} ms", s.max_latency_ms) : "none");
    fmt::print("{:>4} {:<30} {:>5} {:>5} {:>6} {:>9} {:>9} {:>12} {:>12}\n", "rank", "layout", "ISL", "OSL", "conc",
               "TTFT ms", "TPOT ms", "tok/s/GPU", "tok/s/user");
    for (int i = 0; i < r.num_top; ++i) {
      const auto& c = r.candidates[static_cast<size_t>(i)];
      fmt::print("{:>4} {:<30} {:>5} {:>5} {:>6.0f} {:>9.1f} {:>9.2f} {:>12.1f} {:>12.1f}{}\n", c.rank, layout_text(c),
                 c.layout.input_len, c.layout.output_len, c.concurrency, c.ttft_s * 1e3, c.tpot_s * 1e3,
                 c.tokens_per_s_per_gpu, c.tokens_per_s_per_user, c.pareto ? "  pareto" : "");
    }
    if (s.disaggregated) {
      auto line = [&](const char* what, int i) {
        if (i < 0) return fmt::print("best {}: none within the bounds\n", what);
        const auto& c = r.candidates[static_cast<size_t>(i)];
        fmt::print("best {}: {} {:.1f} tok/s/GPU (TTFT {:.1f} ms, TPOT {:.2f} ms{})\n", what, layout_text(c),
                   c.tokens_per_s_per_gpu, c.ttft_s * 1e3, c.tpot_s * 1e3,
                   c.disaggregated ? fmt::format(", KV transfer {:.2f} ms", c.disagg.kv_transfer_s * 1e3) : "");
      };
      line("aggregated", r.best_aggregated);
      line("disaggregated", r.best_disaggregated);
      if (r.best_aggregated >= 0 && r.best_disaggregated >= 0) {
        const double a = r.candidates[static_cast<size_t>(r.best_aggregated)].tokens_per_s_per_gpu;
        const double d = r.candidates[static_cast<size_t>(r.best_disaggregated)].tokens_per_s_per_gpu;
        fmt::print("disaggregation {} ({:+.1f}% tokens/s/GPU)\n", d > a ? "pays" : "does not pay", (d / a - 1) * 100);
      }
    }
    if (!written.empty()) fmt::print("wrote {}\n", written);
  }
  if (r.best < 0) {
    fmt::print(stderr, "hp-cli: no feasible layout: {}\n", why);
    return kNoFeasible;
  }
  return kOk;
}

}  // namespace hpcli
