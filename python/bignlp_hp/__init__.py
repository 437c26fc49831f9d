"""bignlp-hp: size, configure, search and serve large language models on NeMo-Megatron.

A thin layer over the C++ library libhp (module ``bignlp_hp._core``). Every function takes keyword
arguments with the same names and defaults as ``hp-cli``; bad input raises :class:`ConfigError`
(a :class:`ValueError`) whose message names the key and the value; a misspelled keyword or an argument of the
wrong type raises :class:`ArgumentError` (a :class:`TypeError` and a ConfigError) naming it and what is accepted.
Results have readable reprs (HTML tables in notebooks) and typed values (ints, floats, bools, None) under the
names of ``hp-cli ... --json``; ``.to_pandas()`` gives nullable dtypes. Nothing is written unless asked.

>>> import bignlp_hp
>>> bignlp_hp.estimate("gpt3/5b", {"num_gpus": 8, "tp": 2})  # doctest: +SKIP
"""

from ._core import (
    __version__,
    ArgumentError,
    Calibration,
    ConfigError,
    Error,
    Estimate,
    Executor,
    ExecutorError,
    GpuSpec,
    IoError,
    JobRequest,
    JobStatus,
    Layout,
    LogParseError,
    MemoryBreakdown,
    ModelSpec,
    NoFeasibleLayoutError,
    TimeBreakdown,
    base_config,
    calibrate,
    count_parameters,
    default_calibration,
    estimate,
    estimate_inference,
    estimate_serving,
    find_gpu,
    gpu_catalog,
    list_models,
    layout_fields,
    load_gpus,
    load_training_config,
    make_executor,
    model_flops_per_step,
    nemo_optimizers,
    parse_log,
    recommend_model_size,
    render_sbatch_script,
    training_days,
    validate_inference,
    validate_runs,
)
from . import _functions, _repr
from .inference import InferenceSearch, inference_search
from .perf import EstimateTable, estimate_table, to_pandas
from .search import SearchResult, search
from .serving import ServingSearch, serving_search
from .trials import TrialResults, collect, resume, run_search

_functions.wrap_all(globals())  # the binding's functions behind the argument check, with docstrings
_repr.install()                 # readable reprs of the binding's classes

# The public API: every public name of the binding (tests/python/test_package.py checks none is missing) and
# the pure-Python helpers.
__all__ = [
    "__version__",
    "ArgumentError", "Calibration", "ConfigError", "Error", "Estimate", "Executor", "ExecutorError", "GpuSpec",
    "IoError",
    "JobRequest", "JobStatus", "Layout", "LogParseError", "MemoryBreakdown", "ModelSpec", "NoFeasibleLayoutError",
    "TimeBreakdown",
    "base_config", "calibrate", "count_parameters", "default_calibration", "estimate", "estimate_inference",
    "estimate_serving", "find_gpu", "gpu_catalog", "layout_fields", "list_models", "load_gpus", "load_training_config", "make_executor",
    "model_flops_per_step", "nemo_optimizers", "parse_log", "recommend_model_size", "render_sbatch_script", "training_days",
    "validate_inference", "validate_runs",
    "InferenceSearch", "inference_search", "EstimateTable", "estimate_table", "to_pandas", "SearchResult", "search",
    "TrialResults", "collect", "resume", "run_search", "ServingSearch", "serving_search",
]
