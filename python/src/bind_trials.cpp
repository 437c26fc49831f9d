// Binding: log parsing, executors (with a Python subclass of the Executor interface: pybind11 trampoline),
// running a search's trials, collect. Pure-Python helpers (to_pandas) are in bignlp_hp/trials.py.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "binding.hpp"
#include "kwargs.hpp"
#include "record.hpp"
#include "hp/core.hpp"
#include "hp/logs.hpp"
#include "hp/search.hpp"
#include "hp/run/executor.hpp"
#include "hp/run/runner.hpp"
#include "hp/run/search_launch.hpp"

namespace {

namespace py = pybind11;

// Python subclasses override name/submit/poll/cancel (and optionally max_concurrent, reattachable, poll_interval_s).
class PyExecutor : public hp::run::Executor {
  template <class T, class Arg>
  T checked(const char* method, const char* expected, const Arg& arg) {
    py::gil_scoped_acquire gil;
    py::function fn = py::get_override(static_cast<const hp::run::Executor*>(this), method);
    if (!fn) throw hp::ConfigError(std::string("Executor.") + method, "<missing>", "the subclass must define it");
    py::object out = fn(arg);
    try {
      return out.cast<T>();
    } catch (const py::builtin_exception&) {  // cast_error, and reference_cast_error for None (not a cast_error)
      throw hp::ConfigError(std::string("Executor.") + method, py::repr(out).cast<std::string>(),
                            std::string("expected ") + expected);
    }
  }

 public:
  using hp::run::Executor::Executor;
  std::string name() const override { PYBIND11_OVERRIDE_PURE(std::string, hp::run::Executor, name, ); }
  // submit and poll check what the Python method returned: a wrong type names the method and the value
  // (a ConfigError, so a ValueError) instead of pybind11's "Unable to cast" or "incompatible function arguments".
  std::string submit(const hp::run::JobRequest& r) override {
    return checked<std::string>("submit", "a job id (str)", r);
  }
  hp::run::JobStatus poll(const std::string& id) override {
    return checked<hp::run::JobStatus>("poll", "a bignlp_hp.JobStatus", id);
  }
  void cancel(const std::string& id) override { PYBIND11_OVERRIDE_PURE(void, hp::run::Executor, cancel, id); }
  int max_concurrent() const override { PYBIND11_OVERRIDE(int, hp::run::Executor, max_concurrent, ); }
  bool reattachable() const override { PYBIND11_OVERRIDE(bool, hp::run::Executor, reattachable, ); }
  double poll_interval_s() const override { PYBIND11_OVERRIDE(double, hp::run::Executor, poll_interval_s, ); }
  std::string find_job(const hp::run::JobRequest& r) override { PYBIND11_OVERRIDE(std::string, hp::run::Executor, find_job, r); }
};

py::dict log_dict(const hp::TrainingLog& log) {
  hp::StepTimeStats st = hp::nemo_step_time(log.step_times_s);
  py::dict d;
  d["path"] = log.path;
  d["format"] = hp::to_string(log.format);
  d["iterations"] = log.iterations;
  d["step_times_s"] = log.step_times_s;
  d["tflops_per_gpu"] = log.tflops_per_gpu;
  py::list memory;
  for (const auto& m : log.memory)
    memory.append(py::dict(py::arg("rank") = m.rank, py::arg("iteration") = m.iteration,
                           py::arg("allocated_bytes") = m.allocated_bytes, py::arg("max_allocated_bytes") = m.max_allocated_bytes,
                           py::arg("reserved_bytes") = m.reserved_bytes, py::arg("max_reserved_bytes") = m.max_reserved_bytes));
  d["memory"] = memory;
  d["step_time_s"] = st.valid ? py::object(py::float_(st.mean_s)) : py::object(py::none());
  d["step_time_stddev_s"] = st.stddev_s;
  d["failure"] = hp::to_string(log.failure.kind);
  d["evidence"] = log.failure.evidence;
  d["source"] = log.failure.source;
  return d;
}

py::dict outcome_dict(const hp::run::LaunchOutcome& out, const std::string& dir) {
  py::list trials;
  for (const auto& t : out.states) trials.append(hppy::record_dict(hp::run::trial_state_record(t)));
  py::dict d;
  d["results_dir"] = dir;
  d["trials"] = trials;
  d["interrupted"] = out.interrupted;
  d["num_measured"] = out.reports.num_measured;
  d["num_failed"] = out.reports.num_failed;
  d["gpu_hours"] = out.reports.gpu_hours;
  d["full_size_gpu_hours"] = out.reports.full_size_gpu_hours;
  d["files"] = out.reports.files;
  d["message"] = out.reports.message;
  return d;
}

py::dict collect_dict(const std::string& dir) {
  hp::run::Collected c;
  {
    py::gil_scoped_release release;  // reading every trial's logs can take a while
    c = hp::run::collect(dir);
  }
  std::vector<hp::Record> rows;
  for (const auto& r : c.results) rows.push_back(hp::trial_result_record(r));
  py::dict d;
  d["results_dir"] = dir;
  d["rows"] = hppy::record_columns(rows, hp::trial_result_record(hp::TrialResult{}));
  d["files"] = c.reports.files;
  d["message"] = c.reports.message;
  d["num_measured"] = c.reports.num_measured;
  d["num_failed"] = c.reports.num_failed;
  d["gpu_hours"] = c.reports.gpu_hours;
  d["full_size_gpu_hours"] = c.reports.full_size_gpu_hours;
  return d;
}

// executor: "local" / "slurm" / "none" (settings from the config) or an Executor instance (a Python subclass).
// The GIL is released around the long work; a Python executor's methods take it back (PYBIND11_OVERRIDE does).
py::dict run_search(const py::object& config, const py::object& executor, const std::string& results_dir, bool force,
                    const std::string& trial_nodes, const std::vector<std::string>& precisions) {
  const hp::SearchConfig c = hppy::search_config_arg(config, precisions);
  hp::SearchOptions options;
  options.results_dir = results_dir;
  options.force = force;
  if (!trial_nodes.empty()) options.trial_nodes = hp::to_string(hp::parse_trial_nodes(trial_nodes, "trial_nodes"));
  hp::run::LaunchChoice choice;
  if (py::isinstance<hp::run::Executor>(executor))
    choice.custom = &executor.cast<hp::run::Executor&>();
  else
    choice.executor = executor.cast<std::string>();
  hp::run::SearchLaunchOutcome out;
  {
    py::gil_scoped_release release;
    out = hp::run::search_and_launch(c, options, choice);
  }
  if (out.search.plan.trials.empty()) throw hp::NoFeasibleLayoutError(out.search.message);
  return outcome_dict(out.run, out.spec.results_dir);
}

py::dict resume(const std::string& dir, const py::object& executor) {
  hp::run::RunSpec spec;
  spec.results_dir = dir;
  hp::run::LaunchOutcome out;
  if (py::isinstance<hp::run::Executor>(executor)) {
    auto& ex = executor.cast<hp::run::Executor&>();
    py::gil_scoped_release release;
    out = hp::run::launch_with(spec, ex, true, nullptr);
  } else {
    spec.executor = executor.is_none() ? "" : executor.cast<std::string>();
    py::gil_scoped_release release;
    out = hp::run::launch(spec, true, nullptr);
  }
  return outcome_dict(out, dir);
}

void bind_trials(py::module_& m) {
  m.def("parse_log", [](const std::string& path) { return log_dict(hp::parse_log_file(path)); }, py::arg("path"),
        R"(Parse one training log (TensorBoard events, NeMo or Megatron-LM console output).

Returns a dict: format, iterations, step_times_s, tflops_per_gpu, memory, step_time_s (NeMo's rule: mean after
5 warm-up steps, None with fewer than 7 points), step_time_stddev_s, failure (cuda_oom, nccl_timeout, nccl_error,
slurm_node_fail, time_limit, slurm_cancelled, nonzero_exit, no_steps or none), evidence, source.)");

  py::class_<hp::run::JobRequest>(m, "JobRequest", "What to run for one trial (an argument vector, never a shell string); "
                                               "JobRequest(**fields)")
      .def(py::init([](const py::kwargs& kw) { return hppy::from_kwargs<hp::run::JobRequest>(kw); }))
      .def_readwrite("name", &hp::run::JobRequest::name)
      .def_readwrite("argv", &hp::run::JobRequest::argv)
      .def_readwrite("env", &hp::run::JobRequest::env)
      .def_readwrite("work_dir", &hp::run::JobRequest::work_dir)
      .def_readwrite("num_nodes", &hp::run::JobRequest::num_nodes)
      .def_readwrite("gpus_per_node", &hp::run::JobRequest::gpus_per_node)
      .def_readwrite("time_limit_s", &hp::run::JobRequest::time_limit_s)
      .def_readwrite("stdout_path", &hp::run::JobRequest::stdout_path)
      .def_readwrite("stderr_path", &hp::run::JobRequest::stderr_path)
      .def_readwrite("script_path", &hp::run::JobRequest::script_path);

  py::class_<hp::run::JobStatus>(m, "JobStatus", "How a job stands: state is pending, running, completed, failed, "
                                              "timeout, cancelled, node_fail or lost.")
      .def(py::init([](const std::string& state, int exit_code, int signal, const std::string& scheduler_state) {
             return hp::run::JobStatus{hp::run::job_state_from_string(state), exit_code, signal, scheduler_state};
           }),
           py::arg("state"), py::arg("exit_code") = 0, py::arg("signal") = 0, py::arg("scheduler_state") = "")
      .def_property("state", [](const hp::run::JobStatus& s) { return std::string(hp::run::to_string(s.state)); },
                    [](hp::run::JobStatus& s, const std::string& v) { s.state = hp::run::job_state_from_string(v); })
      .def_readwrite("exit_code", &hp::run::JobStatus::exit_code)
      .def_readwrite("signal", &hp::run::JobStatus::signal)
      .def_readwrite("scheduler_state", &hp::run::JobStatus::scheduler_state)
      .def("finished", &hp::run::JobStatus::finished)
      .def("__repr__", [](const hp::run::JobStatus& s) {
        return "JobStatus(state='" + std::string(hp::run::to_string(s.state)) + "', exit_code=" + std::to_string(s.exit_code) +
               ", signal=" + std::to_string(s.signal) + ")";
      });

  py::class_<hp::run::Executor, PyExecutor>(m, "Executor", R"(How trials run. Subclass it in Python and override
name(), submit(request) -> job id, poll(job_id) -> JobStatus, cancel(job_id); optionally max_concurrent() (0 = no
limit), reattachable() (jobs outlive this process), poll_interval_s().)")
      .def(py::init<>())
      .def("name", &hp::run::Executor::name)
      .def("submit", &hp::run::Executor::submit, py::arg("request"))
      .def("poll", &hp::run::Executor::poll, py::arg("job_id"))
      .def("cancel", &hp::run::Executor::cancel, py::arg("job_id"))
      .def("max_concurrent", &hp::run::Executor::max_concurrent)
      .def("reattachable", &hp::run::Executor::reattachable)
      .def("poll_interval_s", &hp::run::Executor::poll_interval_s)
      .def("find_job", &hp::run::Executor::find_job, py::arg("request"))
      .def("wait", &hp::run::Executor::wait, py::arg("job_id"), py::arg("timeout_s") = 0.0);

  m.def("make_executor",
        [](const std::string& kind, const std::map<std::string, std::string>& settings) {
          return hp::run::make_executor(hp::run::executor_options_from_config(settings, kind));
        },
        py::arg("kind"), py::arg("settings") = std::map<std::string, std::string>{},
        R"(A built-in executor: "none", "local" or "slurm"; settings are the config's executor.* / cluster.* keys
(e.g. {"executor.max_concurrent": "2", "cluster.partition": "batch"}).)");

  m.def("render_sbatch_script",
        [](const hp::run::JobRequest& r, const std::map<std::string, std::string>& settings) {
          return hp::run::render_sbatch_script(r, hp::run::executor_options_from_config(settings, "slurm").slurm);
        },
        py::arg("request"), py::arg("settings") = std::map<std::string, std::string>{},
        "The sbatch script the slurm executor submits for a request (every value quoted).");

  m.def("_run_search", &run_search, py::arg("config"), py::arg("executor") = "local", py::arg("results_dir") = "",
        py::arg("force") = false, py::arg("trial_nodes") = "", py::arg("precisions") = std::vector<std::string>{});
  m.def("_resume", &resume, py::arg("results_dir"), py::arg("executor") = py::none());
  m.def("_collect", &collect_dict, py::arg("results_dir"));
}

}  // namespace

HP_PY_BINDING(50, bind_trials);
