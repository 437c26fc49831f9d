"""Running a search's trials and reading what they measured.

``run_search(config, executor="local")`` plans and runs the trials (``executor`` may also be an instance of a
Python subclass of :class:`bignlp_hp.Executor`); ``resume(results_dir)`` continues after a crash;
``collect(results_dir)`` rebuilds NeMo's final_result/ files from the logs and returns a :class:`TrialResults`.
"""

import os

from . import _core
from ._args import checked, require
from ._frames import columns_of, frame, html_table

__all__ = ["TrialResults", "run_search", "resume", "collect"]

# Columns that can hold only missing values (a time nothing measured): their dtype does not come from the values.
_DTYPES = {"step_time_s": "Float64", "predicted_step_time_s": "Float64", "repredicted_step_time_s": "Float64"}


class TrialResults:
    """Trials of a search.

    ``trials`` (run_search, resume: one dict per trial: config_name, job_id, state, exit_code, step_time_s (None
    until measured), predicted_step_time_s, failure, ...) or ``rows`` (collect: {column: [values]} with
    config_name, tp, pp, mbs, nodes, measured, step_time_s, predicted_step_time_s, failure, ...); ``files``
    written, ``message``, ``num_measured``, ``num_failed``, ``results_dir``. ``to_pandas()``: one row per trial.
    """

    def __init__(self, raw):
        for key, value in raw.items():
            setattr(self, key, value)

    @property
    def measured(self):
        """Whether any trial measured a step time."""
        return self.num_measured > 0

    def _columns(self):
        if hasattr(self, "rows"):
            return self.rows
        names = self.trials[0].keys() if self.trials else ["config_name", "state", "step_time_s", "failure"]
        return columns_of(self.trials, names)

    def __len__(self):
        return len(next(iter(self._columns().values()), []))

    def to_pandas(self):
        """One row per trial as a pandas DataFrame (nullable dtypes; <NA> for a time not measured)."""
        return frame(self._columns(), _DTYPES)

    def __repr__(self):
        return (f"<TrialResults {self.results_dir}: {len(self)} trials, {self.num_measured} measured, "
                f"{self.num_failed} failed>")

    def _repr_html_(self):
        cols = self._columns()
        shown = {k: v for k, v in cols.items()
                 if k in ("config_name", "state", "tp", "pp", "mbs", "measured", "step_time_s", "predicted_step_time_s",
                          "failure")}
        return html_table(shown, repr(self)[1:-1])


def _run_search(config, *, executor="local", results_dir="", force=False, trial_nodes="", precisions=None):
    require("run_search", "config", config, (str, os.PathLike, dict), "a YAML path or a dict")
    require("run_search", "executor", executor, (str, _core.Executor), "'local', 'slurm', 'none' or an Executor")
    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    return TrialResults(_core._run_search(config, executor=executor,
                                          results_dir=os.fspath(results_dir) if results_dir else "", force=force,
                                          trial_nodes=trial_nodes or "", precisions=list(precisions or ())))


def _resume(results_dir, *, executor=None):
    if executor is not None:
        require("resume", "executor", executor, (str, _core.Executor), "None, 'local', 'slurm' or an Executor")
    return TrialResults(_core._resume(os.fspath(results_dir), executor=executor))


def _collect(results_dir):
    return TrialResults(_core._collect(os.fspath(results_dir)))


run_search = checked(_run_search, "run_search", binding=_core._run_search, doc="""\
Search, then run the planned trials and write final_result/.

config: a search config (YAML path or dict, as for :func:`search`). executor: "local" (run here), "slurm"
(sbatch, cluster.* keys of the config), "none" (plan only) or an instance of a Python subclass of
:class:`Executor`. results_dir: where everything goes ('' = train_settings.logs, else ./results; a run always
writes). force: replace another search's results in results_dir (default: a ConfigError; :func:`resume`
continues them). trial_nodes: "min" (each trial on the fewest nodes its layout needs) or "full" ("" =
``train_settings.trial_nodes``, default min). precisions: GEMM precisions to search and run, as for
:func:`search` (None = ``train_settings.precisions``, else the base config's precision).

Returns a :class:`TrialResults` (``trials``: one dict per trial with state, step_time_s (measured on the trial's
``nodes``), full_scale_step_time_s, failure ...; ``gpu_hours`` / ``full_size_gpu_hours``: what the trials held on
their nodes, and had they run full size).

>>> t = bignlp_hp.run_search("search.yaml", executor="local", results_dir="out")  # doctest: +SKIP
>>> t.num_measured, t.to_pandas()[["config_name", "state", "step_time_s"]]  # doctest: +SKIP
""")

resume = checked(_resume, "resume", binding=_core._resume, doc="""\
Continue a search after a crash: finished trials are kept, queued or
running Slurm jobs are polled again, nothing finished runs twice.

results_dir: the directory of the interrupted run. executor: None (the run's own), "local", "slurm" or an
:class:`Executor` instance. Returns a :class:`TrialResults`.

>>> bignlp_hp.resume("out")  # doctest: +SKIP
<TrialResults out: 10 trials, 10 measured, 0 failed>
""")

collect = checked(_collect, "collect", binding=_core._collect, doc="""\
Rebuild final_result/ (NeMo's CSVs, the optimal config, report.html)
from the logs of a results directory.

Returns a :class:`TrialResults` whose ``rows`` (and ``to_pandas()``) have one row per trial: config_name, tp, pp,
mbs, nodes, measured, step_time_s (None when not measured), stddev_s, predicted_step_time_s, failure, evidence.

>>> bignlp_hp.collect("out").to_pandas()[["config_name", "step_time_s", "failure"]]  # doctest: +SKIP
""")
