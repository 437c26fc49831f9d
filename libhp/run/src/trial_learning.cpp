// What the runner learns after each trial: refit, full-scale step times, the queue verdict, replacements.
#include "trial_learning.hpp"

#include <algorithm>

#include "hp/learn.hpp"
#include "hp/rank.hpp"
#include "hp/trial_sizing.hpp"
#include "journal.hpp"

namespace hp::run {

const hp::TrainingConfig& config_of(ConfigCache& configs, const TrialPlan& p) {
  auto it = configs.find(p.config_path);
  if (it == configs.end()) it = configs.emplace(p.config_path, hp::load_nemo_yaml(p.config_path)).first;
  return it->second;
}

hp::Layout full_layout(const TrialPlan& p, const hp::TrainingConfig& c) {
  hp::Layout l = hp::layout_from_nemo(c);
  if (p.full_num_nodes > 0) l.num_gpus = p.full_num_nodes * p.gpus_per_node;
  if (p.full_gbs > 0) l.gbs = p.full_gbs;
  return l;
}

void journal_trial(const std::string& dir, const std::string& event, const TrialState& t) {
  JournalEvent e;
  e.event = event;
  e.trial = t.plan.config_name;
  e.job_id = t.job_id;
  if (event == "finished") {
    e.state = to_string(t.job.state);
    e.exit_code = t.job.exit_code;
    e.signal = t.job.signal;
    e.scheduler_state = t.job.scheduler_state;
  }
  if (event == "promoted") e.reason = t.plan.reason;
  append_journal(dir, e);
}

void set_full_scale(const RunSpec& spec, TrialState& t, ConfigCache& configs, const hp::Calibration& calibration) {
  t.full_scale = {};
  if (t.phase != TrialPhase::finished || !t.stats.valid || t.failure.kind != hp::FailureKind::none) return;
  const hp::TrainingConfig& c = config_of(configs, t.plan);
  t.full_scale = hp::full_scale_step(c.model, hp::layout_from_nemo(c), full_layout(t.plan, c), t.stats.mean_s,
                                     hp::run_gpu(spec.gpu), calibration);
}

hp::Calibration learn_from_trials(const RunSpec& spec, std::vector<TrialState>& states,
                                  std::vector<TrialState>& reserves, ConfigCache& configs) {
  const hp::GpuSpec gpu = hp::run_gpu(spec.gpu);
  std::vector<hp::TrialResult> measured;
  for (const TrialState& t : states) {
    if (t.phase != TrialPhase::finished || !t.stats.valid || t.failure.kind != hp::FailureKind::none) continue;
    hp::TrialResult r;
    r.config_name = t.plan.config_name;
    r.config = config_of(configs, t.plan);
    r.stats = t.stats;
    r.failure = t.failure;
    measured.push_back(std::move(r));
  }
  if (measured.empty()) return hp::default_calibration(gpu);
  // The trials measured their own size: the refit reads each trial's layout from its config (trial nodes and
  // batch); the queue is ranked by the full-scale layouts.
  const hp::Refit fit = hp::refit_on_trials(measured, gpu);
  for (TrialState& t : states) set_full_scale(spec, t, configs, fit.calibration);
  auto repredict = [&](TrialState& t) {
    const hp::TrainingConfig& c = config_of(configs, t.plan);
    t.repredicted_step_time_s = hp::estimate(c.model, full_layout(t.plan, c), gpu, fit.calibration).time.step_time_s;
  };
  std::vector<TrialState*> pending;
  for (TrialState& t : states) {
    if (t.phase != TrialPhase::pending) continue;
    repredict(t);
    pending.push_back(&t);
  }
  for (TrialState& t : reserves) repredict(t);
  // Pending trials sit after every started one; reorder them among themselves by the new prediction.
  std::vector<TrialState> sorted;
  for (TrialState* p : pending) sorted.push_back(*p);
  std::stable_sort(sorted.begin(), sorted.end(), [](const TrialState& a, const TrialState& b) {
    return a.repredicted_step_time_s < b.repredicted_step_time_s;
  });
  for (std::size_t i = 0; i < pending.size(); ++i) *pending[i] = sorted[i];
  return fit.calibration;
}

namespace {

double predicted_of(const TrialState& t) {
  return t.repredicted_step_time_s > 0 ? t.repredicted_step_time_s : t.plan.predicted_step_time_s;
}

}  // namespace

void judge_trials(const RunSpec& spec, std::vector<TrialState>& states, std::vector<TrialState>& reserves,
                  ConfigCache& configs) {
  std::vector<hp::FinishedTrial> finished;
  std::vector<hp::QueuedTrial> queued, reserve_queue;
  const hp::ModelSpec* model = nullptr;
  for (const TrialState& t : states) {
    if (t.phase == TrialPhase::finished) {
      const hp::TrainingConfig& c = config_of(configs, t.plan);
      if (!model) model = &c.model;
      if (c.model.name != model->name) continue;  // one model per search
      const bool ok = t.stats.valid && t.failure.kind == hp::FailureKind::none;
      // Times at full scale (the rank's scale); memory is the trial's own layout (what ran).
      const double full_s = t.full_scale.step_time_s > 0 ? t.full_scale.step_time_s : t.stats.mean_s;
      finished.push_back({t.plan.config_name, hp::layout_from_nemo(c), hp::to_string(t.failure.kind),
                          ok ? full_s : 0.0, predicted_of(t), t.max_allocated_bytes});
    } else if (t.phase == TrialPhase::pending) {
      queued.push_back({t.plan.config_name, hp::layout_from_nemo(config_of(configs, t.plan)), predicted_of(t)});
    }
  }
  if (!spec.judge || !model) return;
  const hp::GpuSpec gpu = hp::run_gpu(spec.gpu);
  const hp::Calibration calibration = hp::default_calibration(gpu);  // memory does not use the time refit
  hp::EstimateOptions options;
  options.memory_margin = spec.memory_margin;
  std::vector<std::string> freed;  // queued trials the memory refit dropped: their slots go to reserves
  if (!queued.empty()) {
    const hp::QueueVerdict v = hp::judge_queue(*model, gpu, calibration, finished, queued, hp::kModelRelativeError, options);
    for (TrialState& t : states) {
      if (t.phase != TrialPhase::pending) continue;
      const auto it = std::find(v.drop.begin(), v.drop.end(), t.plan.config_name);
      const std::size_t i = static_cast<std::size_t>(it - v.drop.begin());
      if (it != v.drop.end()) {
        t.note = "dropped: " + v.drop_reasons[i];
        if (v.drop_for_memory[i]) freed.push_back(t.plan.config_name);
      } else if (v.stop) {
        t.note = v.stop_reason;
      } else {
        continue;
      }
      t.phase = TrialPhase::dropped;
      journal_trial(spec.results_dir, "dropped", t);
    }
    if (v.stop) return;  // nothing queued can beat the measured best: no replacement either
  }
  if (freed.empty() || reserves.empty()) return;
  // The reserves the corrected memory model still fits (and no time-limit failure rules out), in rank order.
  for (const TrialState& r : reserves)
    reserve_queue.push_back({r.plan.config_name, hp::layout_from_nemo(config_of(configs, r.plan)), predicted_of(r)});
  const hp::QueueVerdict rv = hp::judge_queue(*model, gpu, calibration, finished, reserve_queue, hp::kModelRelativeError, options);
  std::size_t planned = 0, used = 0;
  for (const TrialPlan& p : spec.trials) planned += !p.reserve;
  for (const TrialState& t : states) used += t.phase != TrialPhase::dropped;
  for (const std::string& name : freed) {
    if (used >= planned) break;
    auto r = std::find_if(reserves.begin(), reserves.end(), [&](const TrialState& x) {
      return std::find(rv.drop.begin(), rv.drop.end(), x.plan.config_name) == rv.drop.end();
    });
    if (r == reserves.end()) break;
    TrialState promoted = *r;
    reserves.erase(r);
    promoted.plan.reserve = false;
    promoted.plan.reason = "replaces an OOM (" + short_trial_name(name) + ")";
    promoted.phase = TrialPhase::pending;
    journal_trial(spec.results_dir, "promoted", promoted);
    states.push_back(std::move(promoted));
    ++used;
  }
}

}  // namespace hp::run
