// Reading a results directory back (collect) and writing NeMo's reports plus a one-page HTML picture.
#include <algorithm>
#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <optional>
#include <set>

#include "fsutil.hpp"
#include "journal.hpp"
#include "hp/calibration.hpp"
#include "hp/core.hpp"
#include "hp/hardware.hpp"
#include "hp/search.hpp"
#include "hp/run/runner.hpp"
#include "trial_eval.hpp"

namespace fs = std::filesystem;

namespace hp::run {

TrialEvaluation evaluate_trial_dir(const std::string& dir, const hp::JobOutcome& outcome) {
  TrialEvaluation ev;
  std::vector<std::string> files;
  std::error_code ec;
  for (const std::string& d : {dir, dir + "/results"})
    for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      bool tb = name.rfind("events", 0) == 0;
      bool text = name.size() > 4 && (name.rfind(".out") == name.size() - 4 || name.rfind(".err") == name.size() - 4 ||
                                      name.rfind(".log") == name.size() - 4);
      if (it->is_regular_file() && (tb || text)) files.push_back(it->path().string());
    }
  std::sort(files.begin(), files.end());
  const hp::TrainingLog* best_tb = nullptr;
  const hp::TrainingLog* best_text = nullptr;
  for (const std::string& f : files) {
    try {
      ev.logs.push_back(hp::parse_log_file(f));
    } catch (const hp::Error& e) {  // a corrupt or oversized log is evidence, not a crash
      hp::TrainingLog bad;
      bad.path = f;
      bad.failure = {hp::FailureKind::none, e.what(), f};
      ev.logs.push_back(bad);
    }
  }
  for (const hp::TrainingLog& log : ev.logs) {
    auto& best = log.format == hp::LogFormat::tensorboard ? best_tb : best_text;
    if (!log.step_times_s.empty() && (!best || log.step_times_s.size() > best->step_times_s.size())) best = &log;
  }
  for (const hp::TrainingLog& log : ev.logs)
    for (const hp::MemoryReport& m : log.memory) ev.max_allocated_bytes = std::max(ev.max_allocated_bytes, m.max_allocated_bytes);
  const hp::TrainingLog* chosen = best_tb ? best_tb : best_text;
  if (chosen) ev.stats = hp::nemo_step_time(chosen->step_times_s);
  ev.failure = hp::classify_trial(ev.logs, outcome, ev.stats);
  return ev;
}

// NeMo's run names carry the size as the search config wrote it: "<family>_<size>b_<N>nodes_...".
double size_from_name(const std::string& name, double fallback) {
  std::size_t b = name.find('_'), e = name.find("b_", b == std::string::npos ? 0 : b);
  if (b == std::string::npos || e == std::string::npos) return fallback;
  try {
    std::size_t used = 0;
    std::string text = name.substr(b + 1, e - b - 1);
    double v = std::stod(text, &used);
    return used == text.size() && v > 0 ? v : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

namespace {

std::optional<RunSpec> run_spec_if_any(const std::string& results_dir) {
  if (!fs::exists(results_dir + "/run_state.yaml")) return std::nullopt;  // collect works on NeMo's own results too
  return load_run_spec(results_dir);
}

std::vector<hp::TrialResult> collect_with(const std::string& results_dir, const std::optional<RunSpec>& spec) {
  std::error_code ec;
  if (!fs::is_directory(results_dir, ec)) throw hp::IoError(results_dir, "not a results directory");
  // Only a search's own directory gets reports written into it (collect on $HOME must write nothing).
  bool ours = false;
  for (const char* marker : {"run_state.yaml", "journal.jsonl", "candidate_configs", "training_logs"})
    ours = ours || fs::exists(fs::path(results_dir) / marker, ec);
  if (!ours)
    throw hp::ConfigError("results_dir", results_dir,
                          "not a search results directory (no run_state.yaml, journal.jsonl, candidate_configs/ or "
                          "training_logs/); nothing written");
  std::map<std::string, const TrialPlan*> planned;
  const double size_b = spec ? spec->size_b : 0;
  if (spec)
    for (const TrialPlan& t : spec->trials) planned[t.config_name] = &t;
  // Final job states from the journal (the last "finished" event of each trial wins), and how long each held its
  // nodes: from its last submission to its end.
  std::map<std::string, hp::JobOutcome> outcomes;
  std::map<std::string, double> submitted_at, duration;
  for (const JournalEvent& e : read_journal(results_dir)) {
    if (e.event == "submitted") submitted_at[e.trial] = e.at_s;
    if (e.event != "finished") continue;
    outcomes[e.trial] = {e.scheduler_state, e.exit_code, e.signal};
    const double start = submitted_at.count(e.trial) ? submitted_at[e.trial] : 0;
    duration[e.trial] = start > 0 && e.at_s >= start ? e.at_s - start : 0;
  }
  const bool have_journal = fs::exists(results_dir + "/journal.jsonl");  // then only finished trials are results (not queued, interrupted)
  std::vector<std::string> names;
  for (auto it = fs::directory_iterator(results_dir + "/training_logs", ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_directory()) names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<hp::TrialResult> out;
  for (const std::string& name : names) {
    std::string cfg = results_dir + "/candidate_configs/" + name + ".yaml";
    if (!fs::exists(cfg)) continue;  // NeMo: every trial directory has its candidate config
    if (have_journal && !outcomes.count(name)) continue;
    hp::TrialResult r;
    r.config_name = name;
    r.config = hp::load_nemo_yaml(cfg);
    r.config.size_b = size_b > 0 ? size_b : size_from_name(name, r.config.size_b);
    if (const auto p = planned.find(name); p != planned.end()) {
      r.predicted_step_time_s = p->second->predicted_step_time_s;
      r.full_num_nodes = p->second->full_num_nodes;
      r.full_global_batch_size = p->second->full_gbs;
      r.time_limit_s = spec->time_limit_s > 0 ? spec->time_limit_s : 60.0 * p->second->max_minutes;
    }
    r.duration_s = duration.count(name) ? duration[name] : 0;
    hp::JobOutcome outcome = outcomes.count(name) ? outcomes[name] : hp::JobOutcome{};
    TrialEvaluation ev = evaluate_trial_dir(trial_dir(results_dir, name), outcome);
    r.stats = ev.stats;
    r.failure = ev.failure;
    r.job_state = outcome.scheduler_state;
    r.measured_max_memory_bytes = ev.max_allocated_bytes;
    out.push_back(r);
  }
  // Full-scale step times under the refit on this search's measurements (what calibration.yaml records).
  const hp::GpuSpec gpu = hp::run_gpu(spec ? spec->gpu : "");
  const hp::Calibration calibration = hp::refit_on_trials(out, gpu).calibration;
  for (hp::TrialResult& r : out) {
    if (!r.measured()) continue;
    hp::Layout full = hp::layout_from_nemo(r.config);
    full.num_gpus = r.full_nodes() * r.config.gpus_per_node;
    if (r.full_global_batch_size > 0) full.gbs = r.full_global_batch_size;
    r.full_scale = hp::full_scale_step(r.config.model, hp::layout_from_nemo(r.config), full, r.stats.mean_s, gpu, calibration);
  }
  return out;
}

}  // namespace

std::vector<hp::TrialResult> collect_results(const std::string& results_dir) {
  return collect_with(results_dir, run_spec_if_any(results_dir));
}

Collected collect(const std::string& results_dir) { return collect_run(results_dir, run_spec_if_any(results_dir)); }

Collected collect_run(const std::string& results_dir, const std::optional<RunSpec>& spec) {
  Collected c;
  c.results = collect_with(results_dir, spec);
  c.reports = write_reports(results_dir, c.results, spec ? spec->gpu : "");
  return c;
}

ReportFiles write_reports(const std::string& results_dir, const std::vector<hp::TrialResult>& results,
                          const std::string& gpu) {
  ReportFiles rep;
  std::string final_dir = results_dir + "/final_result";
  // One summary per cluster size the layouts are for (trials on fewer nodes report at full scale).
  std::set<int> node_counts;
  for (const hp::TrialResult& r : results) node_counts.insert(r.full_nodes());
  for (int n : node_counts) {
    std::vector<hp::TrialResult> group;
    for (const hp::TrialResult& r : results)
      if (r.full_nodes() == n) group.push_back(r);
    std::string summary = fmt::format("{}/final_summary_{}nodes.csv", final_dir, n);
    std::string failed = fmt::format("{}/failed_jobs_{}nodes.csv", final_dir, n);
    hp::write_file_atomic(summary, hp::final_summary_csv(group));
    hp::write_file_atomic(failed, hp::failed_jobs_csv(group));
    rep.files.push_back(summary);
    rep.files.push_back(failed);
    for (const hp::TrialResult& r : group) (r.measured() ? rep.num_measured : rep.num_failed)++;
    if (const hp::TrialResult* best = hp::best_trial(group)) {
      std::string optimal = fmt::format("{}/optimal_config_{}b_{}nodes.yaml", final_dir,
                                        hp::format_size_b(best->config.size_b), n);
      // The ready-to-train config is the full-scale one: a trial on fewer nodes gets the cluster's nodes and batch.
      std::string text = read_text(results_dir + "/candidate_configs/" + best->config_name + ".yaml");
      if (best->full_scale.predicted)
        text = hp::override_yaml(text, {{"trainer.num_nodes", std::to_string(n)},
                                        {"model.global_batch_size", std::to_string(best->full_global_batch_size > 0
                                                                                       ? best->full_global_batch_size
                                                                                       : best->config.global_batch_size)}});
      hp::write_file_atomic(optimal, text);
      rep.files.push_back(optimal);
      rep.message += fmt::format("{} nodes: best {} at {:.4f} s per step ({} of {} trials measured)\n",
                                 n, best->config_name, best->full_scale_step_time_s(), rep.num_measured, group.size());
      if (best->full_scale.predicted)
        rep.message += fmt::format("  full scale = {:.4f} s measured on {} nodes - {:.4f} s + {:.4f} s predicted "
                                   "scale terms (trial / full scale)\n",
                                   best->stats.mean_s, best->config.num_nodes, best->full_scale.trial_scale_terms_s,
                                   best->full_scale.full_scale_terms_s);
    } else {
      rep.message += fmt::format("{} nodes: every trial failed ({} trials); no optimal config. See {}\n", n,
                                 group.size(), failed);
    }
  }
  // What this cluster measured, as a calibration the performance model can use again (hp-cli estimate/validate).
  const hp::Refit fit = hp::refit_on_trials(results, hp::run_gpu(gpu));
  if (fit.num_trials > 0) {
    std::string cal = final_dir + "/calibration.yaml";
    hp::write_file_atomic(cal, hp::calibrations_to_yaml({fit.calibration}));
    rep.files.push_back(cal);
    rep.message += fmt::format("refit on {} measured trials: compute time x{:.3f}, communication x{:.3f} "
                               "(gemm_efficiency {:.3f}, comm_efficiency {:.3f})\n",
                               fit.num_trials, fit.compute_scale, fit.comm_scale, fit.calibration.gemm_efficiency,
                               fit.calibration.comm_efficiency);
  }
  // GPU-hours: what the trials held (journaled durations, else their time limits) against full-size trials.
  for (const hp::TrialResult& r : results) {
    rep.gpu_hours += r.gpu_hours();
    rep.full_size_gpu_hours += r.full_size_gpu_hours();
  }
  if (!results.empty()) {
    std::string csv = final_dir + "/gpu_hours.csv";
    hp::write_file_atomic(csv, fmt::format("trials,gpu_hours,full_size_gpu_hours\n{},{:.4f},{:.4f}\n", results.size(),
                                           rep.gpu_hours, rep.full_size_gpu_hours));
    rep.files.push_back(csv);
    rep.message += fmt::format("GPU-hours: {:.3f} for {} trials on their nodes; full-size trials would have cost {:.3f}\n",
                               rep.gpu_hours, results.size(), rep.full_size_gpu_hours);
  }
  if (results.empty()) rep.message = "no finished trials under " + results_dir + "/training_logs\n";
  std::string html = final_dir + "/report.html";
  hp::write_file_atomic(html, html_report(results, gpu));
  rep.files.push_back(html);
  return rep;
}

}  // namespace hp::run
