// Launching a search's plan from a front end: executor from the run spec, Ctrl-C, live table, reports.
#include <csignal>
#include <fmt/core.h>

#include "hp/core.hpp"
#include "hp/run/runner.hpp"
#include "trial_eval.hpp"

namespace hp::run {
namespace {

std::atomic<bool> g_interrupt{false};
extern "C" void on_sigint(int) { g_interrupt.store(true); }

// SIGINT / SIGTERM / SIGHUP (the terminal or ssh session went away) set the flag while a launch runs, so the
// journal records the interruption and the jobs are cancelled; the previous handlers come back afterwards.
struct SignalGuard {
  using Handler = void (*)(int);
  Handler old_int, old_term, old_hup;
  SignalGuard() {
    g_interrupt.store(false);
    old_int = std::signal(SIGINT, on_sigint);
    old_term = std::signal(SIGTERM, on_sigint);
    old_hup = std::signal(SIGHUP, on_sigint);
  }
  ~SignalGuard() {
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    std::signal(SIGHUP, old_hup);
  }
};

// The run with its spec in hand (read from run_state.yaml once on resume).
LaunchOutcome launch_loaded(const RunSpec& spec, Executor& executor, bool resume, std::FILE* status) {
  LaunchOutcome out;
  out.executor = executor.name();
  SignalGuard guard;
  RunCallbacks cb;
  cb.interrupt = &g_interrupt;
  if (status)
    cb.on_change = [status](const std::vector<TrialState>& states) {
      fmt::print(status, "\n{}", status_table(states));
      std::fflush(status);
    };
  out.states = run_trials(spec, executor, resume, cb);
  out.interrupted = g_interrupt.load();
  if (executor.runs_jobs()) {
    out.reports = collect_run(spec.results_dir, spec).reports;
    // Trials not launched on libhp's verdict: say which and why (they have no logs for the reports to read).
    int dropped = 0;
    for (const TrialState& t : out.states) {
      if (t.phase != TrialPhase::dropped) continue;
      out.reports.message += fmt::format("not run: {}: {}\n", short_trial_name(t.plan.config_name), t.note);
      ++dropped;
    }
    if (dropped > 0)
      out.reports.message += fmt::format("{} of {} planned trials not run\n", dropped, out.states.size());
    // Reserves promoted in place of trials the memory refit dropped.
    for (const TrialState& t : out.states)
      if (t.plan.reason.rfind("replaces an OOM", 0) == 0)
        out.reports.message += fmt::format("{}: {}\n", short_trial_name(t.plan.config_name), t.plan.reason);
  }
  return out;
}

}  // namespace

LaunchOutcome launch_with(const RunSpec& spec, Executor& executor, bool resume, std::FILE* status) {
  return launch_loaded(resume ? load_run_spec(spec.results_dir) : spec, executor, resume, status);
}

LaunchOutcome launch(const RunSpec& spec_in, bool resume, std::FILE* status) {
  RunSpec spec = resume ? load_run_spec(spec_in.results_dir) : spec_in;
  // A plan made with --executor none can be launched later: --resume DIR --executor slurm.
  if (resume && !spec_in.executor.empty() && spec_in.executor != "none" && spec.executor != spec_in.executor) {
    spec.executor = spec_in.executor;
    save_run_spec(spec);
  }
  std::unique_ptr<Executor> executor = make_executor(executor_options_from_config(spec.settings, spec.executor));
  return launch_loaded(spec, *executor, resume, status);
}

}  // namespace hp::run
