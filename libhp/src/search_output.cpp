// Results directory of a search: candidate_configs/<name>.yaml, predicted_summary.csv, infeasible_summary.csv,
// plan.yaml. Every file is written atomically; columns are documented in docs/usage.md.
#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "hp/core.hpp"
#include "hp/plan.hpp"
#include "hp/search_output.hpp"

namespace hp {
namespace {

// A YAML double-quoted scalar (JSON escaping is valid YAML).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

std::string result_row_name(const SearchResult& result, const RankedLayout& r) {
  if (!r.name.empty()) return r.name;
  return model_run_name(result.family, result.size_b, result.num_nodes, r, result.legacy_names);
}

std::string describe_layout(const Layout& l) {
  std::string recompute = to_string(l.recompute);
  if (l.recompute == Recompute::full)
    recompute += l.recompute_num_layers == 0 ? std::string("/all") : "/" + std::to_string(l.recompute_num_layers);
  std::string out = fmt::format(
      "tp={} pp={} vp={} cp={} ep={} mbs={} gbs={} dp={} recompute={} sp={} dist_opt={} fp8={}", l.tp, l.pp, l.vp,
      l.cp, l.ep, l.mbs, l.gbs, l.tp * l.pp * l.cp > 0 ? l.dp() : 0, recompute, l.sequence_parallel ? 1 : 0,
      l.distributed_optimizer ? 1 : 0, l.fp8() ? 1 : 0);
  // Issue 15's dimensions, named only when set so the classic description stays as it was.
  if (l.etp > 0) out += fmt::format(" etp={}", l.etp);
  if (l.fsdp) out += " fsdp=1";
  if (l.account_for_embedding || l.account_for_loss)
    out += l.account_for_embedding && l.account_for_loss ? " split=embedding+loss"
                                                           : l.account_for_embedding ? " split=embedding" : " split=loss";
  if (l.precision != Precision::bf16 && l.precision != Precision::fp8_delayed)
    out += std::string(" precision=") + to_string(l.precision);
  if (l.moe_dispatcher != MoeDispatcher::alltoall) out += std::string(" dispatcher=") + to_string(l.moe_dispatcher);
  if (l.activation_offload_layers > 0) out += fmt::format(" offload={}", l.activation_offload_layers);
  if (l.recompute_modules != 0) out += " recompute_modules=" + recompute_modules_to_string(l.recompute_modules);
  if (l.optimizer_cpu_offload) out += fmt::format(" optimizer_offload={:g}", l.optimizer_offload_fraction);
  return out;
}

std::string predicted_summary_csv(const SearchResult& result) {
  std::set<std::string> planned;
  for (const Trial& t : result.plan.trials) planned.insert(t.config_name);
  std::string out =
      "rank,config_name,tp,pp,vp,cp,ep,etp,mbs,gbs,dp,num_micro_batches,recompute,act_ckpt_layers,num_mbs_act,"
      "act_per_pipe,sequence_parallel,distributed_optimizer,fp8,precision,predicted_step_time_s,tokens_per_s_per_gpu,"
      "tflops_per_gpu,mfu,memory_per_gpu_gib,fits,planned\n";
  out.reserve(out.size() + result.ranked.size() * 200);
  std::size_t rank = 0;
  for (const RankedLayout& r : result.ranked) {
    const Layout& l = r.layout;
    const std::string name = result_row_name(result, r);
    fmt::format_to(std::back_inserter(out),
                   "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{:.6g},{:.4f},{:.3f},{},{}\n",
                   ++rank, csv_field(name), l.tp, l.pp, l.vp, l.cp, l.ep, l.etp, l.mbs, l.gbs, l.dp(),
                   l.dp() > 0 ? l.num_micro_batches() : 0, to_string(l.recompute), r.act_ckpt_layers,
                   r.num_mbs_act, r.act_per_pipe, l.sequence_parallel ? 1 : 0, l.distributed_optimizer ? 1 : 0,
                   l.fp8() ? 1 : 0, to_string(l.precision), r.step_time_s, r.tokens_per_s_per_gpu, r.tflops_per_gpu, r.mfu, r.memory_bytes / kGiB,
                   r.fits ? 1 : 0, planned.count(name) ? 1 : 0);
  }
  return out;
}

std::string infeasible_summary_csv(const SearchResult& result) {
  std::string out = "reason,count,example,example_memory_per_gpu_gib\n";
  for (const InfeasibleCount& c : result.infeasible)
    out += fmt::format("{},{},{},{:.3f}\n", to_string(c.reason), c.count, csv_field(describe_layout(c.example)),
                       c.example_memory_bytes / kGiB);
  return out;
}

std::string plan_yaml(const Plan& plan) {
  std::string out = fmt::format(
      "# Launch plan written by hp-cli search: trials in launch order.\npolicy: {}\nresults_dir: {}\n"
      "model_name: {}\nnum_nodes: {}\ngpus_per_node: {}\ntrial_nodes: {}\ngpu_hours: {:.6g}\n"
      "full_size_gpu_hours: {:.6g}\ntrials:{}\n",
      plan.policy, quoted(plan.results_dir), quoted(plan.model_name), plan.num_nodes, plan.gpus_per_node,
      plan.trial_nodes, plan.gpu_hours(), plan.full_size_gpu_hours(), plan.trials.empty() ? " []" : "");
  auto opt = [](int v) { return v < 0 ? std::string("null") : std::to_string(v); };
  for (const Trial& t : plan.trials) {
    const Layout& l = t.layout;
    out += fmt::format(
        "  - index: {}\n    config_name: {}\n    config_path: {}\n    num_nodes: {}\n    gpus_per_node: {}\n"
        "    full_num_nodes: {}\n    full_gbs: {}\n    predicted_trial_step_time_s: {:.6g}\n"
        "    predicted_trial_memory_per_gpu_gib: {:.3f}\n"
        "    time_limit: {}\n    max_minutes: {}\n    max_steps: {}\n    predicted_step_time_s: {:.6g}\n"
        "    predicted_memory_per_gpu_gib: {:.3f}\n    tp: {}\n    pp: {}\n    vp: {}\n    cp: {}\n    ep: {}\n"
        "    mbs: {}\n    gbs: {}\n    recompute: {}\n    act_ckpt_layers: {}\n"
        "    num_micro_batches_with_partial_activation_checkpoints: {}\n"
        "    activations_checkpoint_layers_per_pipeline: {}\n    sequence_parallel: {}\n"
        "    distributed_optimizer: {}\n    fp8: {}\n    precision: {}\n    reason: {}\n",
        t.index, quoted(t.config_name), quoted(t.config_path), t.num_nodes, t.gpus_per_node, t.full_num_nodes,
        t.full_gbs, t.predicted_trial_step_time_s, t.predicted_trial_memory_bytes / kGiB, quoted(t.time_limit),
        t.max_minutes, t.max_steps, t.predicted_step_time_s, t.predicted_memory_bytes / kGiB, l.tp, l.pp, l.vp, l.cp,
        l.ep, l.mbs, l.gbs, to_string(l.recompute), opt(t.act_ckpt_layers),
        opt(t.num_micro_batches_with_partial_activation_checkpoints),
        opt(t.activations_checkpoint_layers_per_pipeline), l.sequence_parallel ? "true" : "false",
        l.distributed_optimizer ? "true" : "false", l.fp8() ? "true" : "false", to_string(l.precision), quoted(t.reason));
  }
  // Launched only to replace a trial that the memory refit drops (the runner's "replaces an OOM").
  if (!plan.reserves.empty()) out += "reserves:\n";
  for (const Trial& t : plan.reserves) out += fmt::format("  - {}\n", quoted(t.config_name));
  return out;
}

namespace {
const char* const kResultEntries[] = {"run_state.yaml", "journal.jsonl", "plan.yaml", "candidate_configs",
                                      "training_logs", "final_result"};
const char* const kSummaries[] = {"predicted_summary.csv", "infeasible_summary.csv"};
}  // namespace

bool holds_search_results(const std::string& dir) {
  std::error_code ec;
  for (const char* e : kResultEntries)
    if (std::filesystem::exists(std::filesystem::path(dir) / e, ec)) return true;
  return false;
}

void remove_search_results(const std::string& dir) {
  std::error_code ec;
  for (const char* e : kResultEntries) std::filesystem::remove_all(std::filesystem::path(dir) / e, ec);
  for (const char* e : kSummaries) std::filesystem::remove(std::filesystem::path(dir) / e, ec);
}

void write_search_results(const SearchResult& result, const TrainingConfig& base, const std::string& custom_yaml) {
  const std::filesystem::path dir(result.plan.results_dir);
  std::error_code ec;
  std::filesystem::create_directories(result.plan.trials.empty() ? dir : dir / "candidate_configs", ec);
  if (ec) throw IoError(dir.string(), "cannot create directory: " + ec.message());
  const bool model_policy = result.policy == SearchPolicy::model;
  std::vector<Trial> all = result.plan.trials;
  all.insert(all.end(), result.plan.reserves.begin(), result.plan.reserves.end());
  for (const Trial& t : all) {
    const TrainingConfig c = trial_config(base, t, result.policy);
    const std::string text = custom_yaml.empty()
                                 ? override_yaml(to_nemo_yaml(c), {{"trainer.val_check_interval", std::to_string(t.max_steps)}})
                                 : override_yaml(custom_yaml, trial_overrides(c, base, model_policy));
    write_file_atomic(t.config_path, text);
  }
  if (!result.ranked.empty()) write_file_atomic((dir / "predicted_summary.csv").string(), predicted_summary_csv(result));
  write_file_atomic((dir / "infeasible_summary.csv").string(), infeasible_summary_csv(result));
  if (!result.plan.trials.empty()) write_file_atomic((dir / "plan.yaml").string(), plan_yaml(result.plan));
}

}  // namespace hp
