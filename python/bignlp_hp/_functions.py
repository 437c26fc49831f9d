"""The binding's public functions behind the argument check (bignlp_hp._args), each with a docstring that says
what it returns and shows a short example."""

from . import _core
from ._args import checked

_DOCS = {
    "estimate": """Memory, step time, tokens/s, TFLOP/s and MFU of one training layout.

model: "gpt3/175b" (a pre-defined config), a dict of architecture fields or a ModelSpec. layout: a Layout or a
dict of Layout fields (tp, pp, vp, cp, ep, mbs, gbs, num_gpus, recompute, ...; sequence_parallel, when not given,
is on when tp > 1). gpu: a name ("h100-sxm") or a GpuSpec; default a100-80gb, the GPU every command assumes (NeMo's
gpu_memory_gb 80). calibration: None (the GPU family's shipped one), a Calibration or a dict. memory_margin: a
fraction of GPU memory kept free, in [-1, 1].

Returns an :class:`Estimate` (``fits``, ``reason`` ('' = runs and fits), ``memory`` and ``time`` breakdowns,
``tokens_per_s_per_gpu``, ``tflops_per_gpu``, ``mfu``, ``to_dict()``). An infeasible layout gives ``reason``, not
an exception.

>>> bignlp_hp.estimate("gpt3/5b", {"num_gpus": 8, "tp": 2})
Estimate(fits=True, step_time_s=13.94, tokens_per_s_per_gpu=4702.0, tflops_per_gpu=147.9, mfu=0.474, memory_gib=22.67)
""",
    "estimate_inference": """Predict one static-batch serving layout (NeMo's inference HP search model).

engine: "trtllm" or "fastertransformer" calibration. Returns a dict: fits, reason, num_gpus, num_nodes, ttft_s,
tpot_s, latency_s, prefill/decode parts (s), throughput_per_gpu (samples/s), output_tokens_per_s_per_gpu,
weights_bytes, kv_cache_bytes, activations_bytes, memory_bytes, max_batch_size.

>>> e = bignlp_hp.estimate_inference(model="gpt3/5b", gpu="h100-sxm", batch_size=8)
>>> e["fits"], round(e["latency_s"], 4)
(True, 0.1149)
""",
    "estimate_serving": """Predict one serving replica with in-flight batching.

mode: "max_throughput", "online" (request_rate or concurrency) or "disaggregated" (prefill_tp, prefill_pp,
prefill_workers, decode_workers). model: a catalogue key, a validation model ("llama-2-70b") or a served name /
Hugging Face id ("Qwen/Qwen3-235B-A22B-FP8"), or give architecture={...}. MoE: ep (EP inside TP, divides the
experts) and attention_dp (attention data parallel over TP with the experts over ep == tp GPUs). Returns a dict: fits, reason, saturated, num_gpus, concurrency, ttft_s, tpot_s,
request_latency_s, requests_per_s, output_tokens_per_s_per_gpu, tokens_per_s_per_user, ... (disaggregated: also
kv_transfer_s and the prefill / decode sub-dicts).

>>> e = bignlp_hp.estimate_serving(model="llama-2-70b", tp=4)
>>> e["fits"], round(e["output_tokens_per_s_per_gpu"])
(True, 1822)
""",
    "count_parameters": """Exact parameter count by module.

model: "gpt3/175b" (a pre-defined config) or a dict of architecture fields (num_layers, hidden_size,
ffn_hidden_size, num_attention_heads, num_query_groups, vocab_size, seq_length, activation, normalization,
position_embedding, moe_num_experts, ...). Returns a dict of ints: embedding, position_embedding, attention,
cross_attention, mlp, norms, output_layer, total, active, moe_experts, mtp, nemo_approx.

>>> bignlp_hp.count_parameters("gpt3/5b")["total"]
5051228160
""",
    "recommend_model_size": """The model size for a GPU budget.

Without gpu: NeMo's rule (tflops_per_gpu achieved, 8 FLOPs per parameter per token; mT5 x0.87). With gpu
("h100-sxm"): the throughput of the performance model's best layout of each pre-defined size on the cluster; the
largest size that trains within `days` is recommended. nodes x gpus_per_node replaces gpus.
tokens_per_parameter (20 = compute-optimal) trains each size to that many tokens instead of tokens_b.

Returns a dict: estimated_size_b, recommended_config ("gpt3/5b"), recommended_size_b, training_days,
tflops_per_gpu, mfu_pct, num_tokens_in_b, message; with gpu also layout (tp, pp, vp, cp, ep, dp, mbs, gbs,
recompute, ...) and tried (every size: fits, tflops_per_gpu, training_days). Raises NoFeasibleLayoutError when no
size trains within the budget.

>>> r = bignlp_hp.recommend_model_size(model="gpt3", nodes=20, days=5)
>>> r["recommended_config"]
'gpt3/5b'
""",
    "training_days": """Days to train a model of size_b billion parameters on `gpus` GPUs (NeMo's formula:
8 FLOPs per parameter per token at tflops_per_gpu; mT5 x1.15). Returns a float.

>>> round(bignlp_hp.training_days(size_b=5, gpus=128), 2)
7.75
""",
    "base_config": """A complete NeMo-Megatron training config for a size, as NeMo's launcher would generate it.

A pre-defined size keeps its shipped architecture; any other size gets NeMo's architecture tables and layer
search (gpt3, t5, mt5, bert). output: a path to write the YAML to (None: nothing is written).

Returns a dict: model, size_b, run_name, the architecture, num_parameters, global_batch_size,
tensor_model_parallel_size, pipeline_model_parallel_size, max_steps, lr, time_limit, yaml (the text) and
config_path (None when output is not given).

>>> c = bignlp_hp.base_config(model="gpt3", size_b=5)
>>> c["num_layers"], c["hidden_size"], c["config_path"]
(24, 4096, None)
""",
    "list_models": """The pre-defined configs (NeMo-Megatron's shipped architectures).

Returns a list of dicts: config ("gpt3/5b"), family, name, the architecture fields, published_size_b,
nemo_base_config and num_parameters.

>>> [m["config"] for m in bignlp_hp.list_models()][:3]
['gpt3/126m', 'gpt3/400m', 'gpt3/1b']
""",
    "load_training_config": """Read a NeMo-Megatron training YAML back.

Returns a dict: the architecture, size_b, global_batch_size, micro_batch_size, tensor_model_parallel_size,
pipeline_model_parallel_size, num_nodes, max_steps, optimizer, distributed_optimizer, optimizer_state_bytes.

>>> bignlp_hp.load_training_config("gpt3_5b.yaml")["num_layers"]  # doctest: +SKIP
""",
    "nemo_optimizers": """Every model.optim.name NeMo accepts.

Returns a list of dicts: name, distributed (shards the optimizer state over data parallelism), state_bytes (fp32
master + optimizer state per parameter), what.

>>> [o["name"] for o in bignlp_hp.nemo_optimizers()][:2]
['mcore_distributed_optim', 'distributed_fused_adam']
""",
    "find_gpu": """A catalogue GPU by name or alias ("H100-SXM-80GB"). Returns a :class:`GpuSpec` (SI units).

>>> bignlp_hp.find_gpu("h100-sxm")
GpuSpec(name='h100-sxm', family='hopper', memory_gib=80.0, peak_bf16_tflops=989.0,
        memory_bandwidth_tb_per_s=3.35, gpus_per_node=8)
""",
    "gpu_catalog": """All known GPUs (the shipped catalogue and those added by load_gpus). Returns a list of
:class:`GpuSpec`.

>>> [g.name for g in bignlp_hp.gpu_catalog()][:3]
['a100-40gb', 'a100-80gb', 'h100-sxm']
""",
    "load_gpus": """Read your own GPUs from a YAML file and make find_gpu see them. Returns the list of
:class:`GpuSpec` read.

>>> bignlp_hp.load_gpus("my_gpus.yaml")  # doctest: +SKIP
""",
    "layout_fields": """The layout field table. Returns a list with one dict per integer layout dimension: name,
default, min, help, cli_flag, nemo_key, csv_column, search_key, name_tag ('' = the dimension does not reach that
place).

>>> [f["name"] for f in bignlp_hp.layout_fields()][:4]
['num_gpus', 'tp', 'pp', 'vp']
""",
    "default_calibration": """The shipped calibration of a GPU's family. gpu: a name or a GpuSpec. Returns a
:class:`Calibration`.

>>> bignlp_hp.default_calibration("h100-sxm").gpu_family
'hopper'
""",
    "model_flops_per_step": """Megatron-Core model FLOPs of one global batch. model: as for estimate. Returns a
float.

>>> bignlp_hp.model_flops_per_step("gpt3/5b", 256)
1.649267441664e+16
""",
    "validate_runs": """Validation report of the shipped calibration against measured runs (default: the
project's published runs; path: your own CSV).

Returns a dict: split, num_rows, num_evaluated, holdout_dense_unflagged / holdout_dense_modern / holdout_moe /
korthikanti (each: group, num_runs, mean_abs_pct, max_abs_pct), step_time and memory (lists of those),
grouped_holdout.

>>> round(bignlp_hp.validate_runs()["holdout_dense_unflagged"]["mean_abs_pct"], 2)  # doctest: +SKIP
7.33
""",
    "calibrate": """Fit calibrations per GPU family on a measured-runs CSV (split: "fit" rows, or "all").
Returns a list of :class:`Calibration`.

>>> bignlp_hp.calibrate("runs.csv")  # doctest: +SKIP
""",
    "validate_inference": """Compare the inference model with measurements (default: published TensorRT-LLM
static tables; published="serving": in-flight batching tables; data: your own CSV; fit: refit first;
cross_validate: leave-one-out; split: all, fit or holdout).

Returns a dict: rows (id, metric, measured, predicted, error, predicted_fits, evaluated, reason, mode, engine,
split, source), mean_abs_error, median_abs_error, max_abs_error, mean_abs_error_throughput / _ttft / _tpot,
num_not_fitting, num_not_evaluated.

>>> round(bignlp_hp.validate_inference()["mean_abs_error"], 3)
0.063
""",
    "parse_log": """Parse one training log (TensorBoard events, NeMo or Megatron-LM console output).

Returns a dict: path, format, iterations, step_times_s, tflops_per_gpu, memory, step_time_s (NeMo's rule: mean
after 5 warm-up steps, None with fewer than 7 points), step_time_stddev_s, failure (cuda_oom, nccl_timeout,
nccl_error, slurm_node_fail, time_limit, slurm_cancelled, nonzero_exit, no_steps or none), evidence, source.

>>> bignlp_hp.parse_log("trial/log.txt")["step_time_s"]  # doctest: +SKIP
""",
    "make_executor": """A built-in executor: "none", "local" or "slurm"; settings are the config's executor.* /
cluster.* keys (e.g. {"executor.max_concurrent": "2", "cluster.partition": "batch"}). Returns an
:class:`Executor`.

>>> bignlp_hp.make_executor("local")
<Executor 'local'>
""",
    "render_sbatch_script": """The sbatch script the slurm executor submits for a :class:`JobRequest` (every
value quoted). Returns the script text.

>>> print(bignlp_hp.render_sbatch_script(request))  # doctest: +SKIP
""",
}


def wrap_all(namespace):
    """Replace each binding function in `namespace` (the package's globals) by its checked, documented wrapper;
    JobStatus(...) (the one class with a positional constructor) gets the same check."""
    for name, doc in _DOCS.items():
        namespace[name] = checked(getattr(_core, name), name, doc)
    init = _core.JobStatus.__init__
    if not hasattr(init, "__wrapped_binding__"):
        _core.JobStatus.__init__ = checked(init, "JobStatus", init.__doc__)
