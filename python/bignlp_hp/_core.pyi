"""Type stubs of bignlp_hp._core, the pybind11 binding of libhp and hp::run (checked against the module by
tests/python/test_package.py)."""

from typing import Any

__version__: str

class Error(RuntimeError): ...
class ConfigError(ValueError): ...
class ArgumentError(ConfigError, TypeError): ...
class IoError(OSError): ...
class NoFeasibleLayoutError(Error): ...
class ExecutorError(Error): ...
class LogParseError(Error): ...

class Calibration:
    def __init__(self, **kwargs: Any) -> None: ...
    attention_efficiency: float
    comm_efficiency: float
    fp8_gemm_efficiency: float
    gemm_efficiency: float
    gemm_half_size_flops: float
    gpu_family: str
    memory_overhead_bytes: float
    num_fit_runs: int
    step_overhead_s: float
    tp_overlap_exposed_fraction: float

class Estimate:
    fits: bool
    hardware_flops_per_step: float
    hfu: float
    memory: MemoryBreakdown
    mfu: float
    model_flops_per_step: float
    num_parameters: float
    reason: str
    tflops_per_gpu: float
    time: TimeBreakdown
    def to_dict(self) -> dict[str, Any]: ...
    tokens_per_s_per_gpu: float

class Executor:
    def __init__(self) -> None: ...
    def cancel(self, job_id: str) -> None: ...
    def find_job(self, request: JobRequest) -> str: ...
    def max_concurrent(self) -> int: ...
    def name(self) -> str: ...
    def poll(self, job_id: str) -> JobStatus: ...
    def poll_interval_s(self) -> float: ...
    def reattachable(self) -> bool: ...
    def submit(self, request: JobRequest) -> str: ...
    def wait(self, job_id: str, timeout_s: float = ...) -> JobStatus: ...

class GpuSpec:
    def __init__(self, **kwargs: Any) -> None: ...
    family: str
    gpus_per_node: int
    host_bandwidth_bytes_per_s: float
    host_memory_bandwidth_bytes_per_s: float
    internode_bandwidth_bytes_per_s: float
    memory_bandwidth_bytes_per_s: float
    memory_bytes: float
    name: str
    nvlink_bandwidth_bytes_per_s: float
    nvlink_domain_size: int
    peak_bf16_flops_per_s: float
    peak_fp4_flops_per_s: float
    peak_fp8_flops_per_s: float
    source: str

class JobRequest:
    def __init__(self, **kwargs: Any) -> None: ...
    argv: list[str]
    env: dict[str, str]
    gpus_per_node: int
    name: str
    num_nodes: int
    script_path: str
    stderr_path: str
    stdout_path: str
    time_limit_s: float
    work_dir: str

class JobStatus:
    def __init__(self, state: str, exit_code: int = ..., signal: int = ..., scheduler_state: str = ...) -> None: ...
    exit_code: int
    def finished(self) -> bool: ...
    scheduler_state: str
    signal: int
    state: str

class Layout:
    def __init__(self, **kwargs: Any) -> None: ...
    account_for_embedding: bool
    account_for_loss: bool
    activation_offload_layers: int
    cp: int
    distributed_optimizer: bool
    dp: int
    ep: int
    etp: int
    flash_attention: bool
    fp8: bool
    fsdp: bool
    gbs: int
    grad_reduce_in_fp32: bool
    lora: bool
    mbs: int
    moe_dispatcher: str
    num_gpus: int
    num_micro_batches: int
    optimizer_cpu_offload: bool
    optimizer_offload_fraction: float
    overlap_cpu_optimizer_d2h_h2d: bool
    overlap_grad_reduce: bool
    overlap_param_gather: bool
    pp: int
    precision: str
    recompute: str
    recompute_micro_batches: int
    recompute_modules: str  # '+'-joined words; a list of words may be assigned
    recompute_num_layers: int
    sequence_parallel: bool
    tp: int
    tp_comm_overlap: bool
    uneven_pipeline: bool
    vp: int

class MemoryBreakdown:
    activations_bytes: float
    embedding_logits_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    overhead_bytes: float
    pipeline_rank: int
    total_bytes: float
    weights_bytes: float

class ModelSpec:
    def __init__(self, **kwargs: Any) -> None: ...
    activation: str
    add_bias_linear: bool
    decoder_seq_length: int
    family: str
    ffn_hidden_size: int
    first_k_dense_replace: int
    @staticmethod
    def from_catalog(key: str) -> ModelSpec: ...
    hidden_size: int
    kv_channels: int
    kv_lora_rank: int
    max_position_embeddings: int
    moe_ffn_hidden_size: int
    moe_layer_freq: int
    moe_num_experts: int
    moe_router_enable_expert_bias: bool
    moe_shared_expert_ffn_size: int
    moe_topk: int
    mtp_num_layers: int
    multi_latent_attention: bool
    name: str
    normalization: str
    num_attention_heads: int
    num_decoder_layers: int
    num_layers: int
    num_query_groups: int
    position_embedding: str
    q_lora_rank: int
    qk_head_dim: int
    qk_pos_emb_head_dim: int
    seq_length: int
    share_embeddings_and_output_weights: bool
    sliding_window: int
    sliding_window_pattern: int
    v_head_dim: int
    vocab_size: int

class TimeBreakdown:
    bubble_s: float
    compute_s: float
    cp_comm_s: float
    dp_comm_s: float
    ep_comm_s: float
    fsdp_comm_s: float
    moe_dispatch_s: float
    moe_expert_gemm_s: float
    moe_permute_s: float
    moe_router_s: float
    moe_shared_expert_s: float
    offload_s: float
    optimizer_offload_s: float
    optimizer_s: float
    overhead_s: float
    pp_comm_s: float
    step_time_s: float
    tp_comm_s: float

def _collect(results_dir: str) -> dict[str, Any]: ...
def _inference_search(config: str | None = ..., *, results_dir: str | None = ..., write: bool = ..., model: str | None = ..., gpu: str | None = ..., tensor_parallel_sizes: list[int | None] = ..., pipeline_parallel_sizes: list[int | None] = ..., batch_sizes: list[int | None] = ..., input_seq_lengths: list[int | None] = ..., output_seq_lengths: list[int | None] = ..., max_latency_ms: float | None = ..., top_n: int | None = ..., data_type: str | None = ..., kv_cache_dtype: str | None = ..., gpus_per_node: int | None = ..., benchmark_tool: str | None = ..., model_path: str | None = ..., executor: str = ..., ft_path: str | None = ..., time_limit_min: float = ...) -> dict[str, Any]: ...
def _resume(results_dir: str, executor: Any = ...) -> dict[str, Any]: ...
def _run_search(config: Any, executor: Any = ..., results_dir: str = ..., force: bool = ..., trial_nodes: str = ..., precisions: list[str] = ...) -> dict[str, Any]: ...
def _search(config: Any, policy: str = ..., results_dir: str = ..., write_files: bool = ..., nemo_fix_bugs: bool = ..., legacy_names: bool = ..., force: bool = ..., trial_nodes: str = ..., precisions: list[str] = ...) -> dict[str, Any]: ...
def base_config(*, model: str = ..., size_b: float, nodes: int = ..., gpus_per_node: int = ..., gpu_memory_gb: int = ..., seq_length: int = ..., vocab_size: int = ..., days: float = ..., tokens_b: float = ..., output: Any = ...) -> dict[str, Any]: ...
def calibrate(path: str, split: str = ...) -> list[Calibration]: ...
def count_parameters(model: Any) -> dict[str, Any]: ...
def default_calibration(gpu: Any) -> Calibration: ...
def estimate(model: Any, layout: Any, gpu: Any = ..., calibration: Any = ..., memory_margin: float = ...) -> Estimate: ...
def estimate_inference(*, model: str, gpu: str = ..., tp: int = ..., pp: int = ..., batch_size: int = ..., input_len: int = ..., output_len: int = ..., weight_dtype: str = ..., kv_cache_dtype: str = ..., gpus_per_node: int = ..., engine: str = ...) -> dict[str, Any]: ...
def estimate_serving(*, model: str, architecture: dict[str, str] | None = ..., gpu: str = ..., mode: str = ..., tp: int = ..., pp: int = ..., ep: int = ..., attention_dp: bool = ..., input_len: int = ..., output_len: int = ..., weight_dtype: str = ..., kv_cache_dtype: str = ..., max_num_tokens: int = ..., max_batch_size: int = ..., kv_cache_fraction: float = ..., request_rate: float = ..., concurrency: int = ..., engine: str = ..., prefill_tp: int = ..., prefill_pp: int = ..., prefill_workers: int = ..., decode_workers: int = ..., scheduler_steps: int = ...) -> dict[str, Any]: ...
def find_gpu(name: str) -> GpuSpec: ...
def gpu_catalog() -> list[GpuSpec]: ...
def list_models() -> list[Any]: ...
def layout_fields() -> list[dict[str, Any]]: ...
def load_gpus(path: str) -> list[GpuSpec]: ...
def load_training_config(path: str) -> dict[str, Any]: ...
def make_executor(kind: str, settings: dict[str, str] = ...) -> Executor: ...
def model_flops_per_step(model: Any, global_batch_size: int) -> float: ...
def nemo_optimizers() -> list[dict[str, Any]]: ...
def parse_log(path: str) -> dict[str, Any]: ...
def recommend_model_size(*, model: str = ..., gpus: int = ..., nodes: int | None = ..., gpus_per_node: int = ..., days: float = ..., tflops_per_gpu: float = ..., tokens_b: float = ..., gpu: str = ..., tokens_per_parameter: float | None = ...) -> dict[str, Any]: ...
def render_sbatch_script(request: JobRequest, settings: dict[str, str] = ...) -> str: ...
def training_days(*, model: str = ..., size_b: float, gpus: int, tflops_per_gpu: float = ..., tokens_b: float = ...) -> float: ...
def validate_inference(*, data: str | None = ..., fit: bool = ..., cross_validate: bool = ..., published: str = ..., split: str = ...) -> dict[str, Any]: ...
def validate_runs(path: str = ...) -> dict[str, Any]: ...
