#!/usr/bin/env python3
"""Transcribe the shared published-runs CSV into the project's own data file (run once by a developer).

Usage: python3 libhp/data/transcribe.py SHARED.csv libhp/data/published_runs.csv [libhp/data/added_runs.csv]

The build compiles the written CSV into the library (cmake/embed_csv.cmake).

added_runs.csv holds rows this project transcribed itself (row_id 1001 on, sources in libhp/data/README.md); they
are appended after the research table's rows with the same split rule.

Facts are copied; free-text columns (source_title, notes) are dropped (source_key / source_location cite the
source, see libhp/data/README.md). Added here, each listed in the row's derived_fields:
  - step_time_s for the narayanan2021 rows: 96*B*s*l*h^2*(1 + s/(6h) + V/(16*l*h)) / (tflops_per_gpu*1e12*GPUs),
    the paper's own FLOPs formula inverted (Table 1 publishes TFLOP/s only).
  - vp=3 for Korthikanti 175B and 530B: Calculon's validation inputs (calculon/llm/validation.py) use 3 virtual
    stages; the paper's Figure 1 memory values are reproduced only with it (published_runs.md section 6).
  - flash_attention=no for 2021-2022 papers and Megatron-DeepSpeed/FSDP runs (before fused attention);
    empty (= yes, the modern default) otherwise.
  - grad_reduce_in_fp32=yes for the same rows (Megatron-LM accumulated bf16/fp16 gradients in fp32); empty
    (= no: bf16 gradients, as the NeMo / Megatron-Bridge performance recipes set) otherwise.
  - sequence_parallel=no for narayanan2021 (SP was introduced later, by Korthikanti et al. 2022).
  - moe_layer_freq=2 and moe_shared_expert_ffn_size=8192 for Llama 4 Maverick, moe_shared_expert_ffn_size=2048
    for DeepSeek-V3 (the public model configs).
  - optimizer_state_bytes=6 for the Nemotron-4 340B rows of dgxc-benchmarking v24.11.1 and of the NeMo 24.07 page:
    their recipes (nemotron4-340b-synth.yaml; the launcher's nemotron_340b.yaml) use Apex DistributedFusedAdam
    with optim.dtype bf16, whose parameter copy and moments are bf16 (empty = 12, Adam with fp32 state).
  - vp=10 / 20 for the NeMo 24.07 Llama 2 13B / 70B SFT rows and optimizer_state_bytes=6 for its SFT rows: the
    NeMo-Framework-Launcher H100 fine-tuning examples of June 2024 (examples/peft/llama/h100/*.sh, config
    conf/peft/llama/sft.yaml: distributed_fused_adam, dtype bf16) have the table's GPUs, GBS, MBS, TP and PP.
  - recompute=selective and recompute_modules for the DeepSeek-V3 rows of dgxc-benchmarking v25.05.05: its
    deepseek_v3/pretraining/launch.sh (tag v25.05.05, commit c5c765f2) passes --recompute_modules RM, RM='mla_up_proj'
    on H100 and 'core_attn' on GB200, to NeMo's scripts/performance/llm/pretrain_deepseek_v3.py at the commit its
    setup.sh checks out (7a8f1cc7, branch llmb-nemo-r2.3.0), which sets recompute_granularity "selective".
  - vp=12 for the Nemotron-4 340B rows of dgxc-benchmarking v25.04: its nemotron/launch.sh (commit 741c886) sets
    VP=12 for MODEL_SIZE 340b and passes it as -vp, although the README table prints VP "NA".
  - vocab_size=256000 for Nemotron rows that leave it empty (NeMo Nemotron configs; the dgxc Nemotron rows
    publish 256000).
  - split: "fit" for odd row_id, "holdout" for even row_id (documented split; never tuned).
"""
import csv
import sys

KEEP = ["row_id", "source_key", "source_location", "source_version", "task", "model", "arch_type",
        "num_layers", "hidden_size", "ffn_hidden_size", "moe_ffn_hidden_size", "num_attention_heads",
        "num_query_groups", "seq_length", "vocab_size", "moe_num_experts", "moe_topk", "params_b", "gpu_type",
        "num_gpus", "tp", "pp", "vp", "cp", "ep", "etp", "dp", "mbs", "gbs", "sequence_parallel", "recompute",
        "precision", "distributed_optimizer", "framework", "tflops_per_gpu", "mfu_pct", "hfu_pct",
        "tokens_per_sec_per_gpu", "step_time_s", "memory_per_gpu_gb", "derived_fields", "quality_flags"]
ADDED = ["flash_attention", "grad_reduce_in_fp32", "split", "kv_channels", "moe_shared_expert_ffn_size", "fsdp",
         "pipeline_split", "moe_layer_freq", "activation_offload_layers", "optimizer_state_bytes", "recompute_modules"]
# Nemotron-4 340B recipes with Apex DistributedFusedAdam at optim.dtype bf16: a bf16 parameter copy and bf16
# moments, 3 x 2 B per parameter instead of Adam's 12 (Apex: "dtype: datatype for optimizer state";
# "store_params: store a distributed copy of the parameters as optimizer state (default: True)").
BF16_ADAM = ("optimizer_state_bytes (optim distributed_fused_adam with dtype bf16 in {}; Apex DistributedFusedAdam "
             "keeps its parameter copy and both moments in that dtype: 3 x 2 B)")
DGXC_340B_YAML = "dgxc-benchmarking v24.11.1 nemotron/nemotron4-340b-synth.yaml"
LAUNCHER_PEFT_VP = {("sft", "LLAMA2-13B", "8", "1", "4"): ("13b_1node.sh", "10"),
                    ("sft", "LLAMA2-70B", "16", "4", "4"): ("70b_2node.sh", "20")}
LAUNCHER_340B_YAML = ("NeMo-Framework-Launcher launcher_scripts/conf/training/nemotron/nemotron_340b.yaml at 7c842fcd "
                      "(2024-06-17), the launcher recipe of the NeMo 24.07 period; the page names no optimizer")
# DeepSeek-V3 on dgxc-benchmarking v25.05.05: the recompute its launcher passes (GPU type -> modules).
DGXC_V3_RECOMPUTE = {"H100": "mla_up_proj", "GB200": "core_attn"}
DGXC_V3_SOURCE = ("recompute, recompute_modules (dgxc-benchmarking v25.05.05 deepseek_v3/pretraining/launch.sh, tag "
                  "commit c5c765f2: --recompute_modules {} on {}; NeMo scripts/performance/llm/pretrain_deepseek_v3.py "
                  "at 7a8f1cc7 (llmb-nemo-r2.3.0, the launcher's setup.sh) sets recompute_granularity selective)")
OLD = {"narayanan2021", "korthikanti2022", "bloom_bigscience", "opt2022"}


def main(src, dst_csv, added=None):
    rows = list(csv.DictReader(open(src, newline="")))
    if added:
        rows += list(csv.DictReader(open(added, newline="")))
    out = []
    for r in rows:
        o = {k: r.get(k, "") for k in KEEP}
        derived = [x for x in o["derived_fields"].split(";") if x]
        if r["source_key"] == "narayanan2021" and r["tflops_per_gpu"] and not r["step_time_s"]:
            B, s, l, h, V = (float(r[k]) for k in ("gbs", "seq_length", "num_layers", "hidden_size", "vocab_size"))
            flops = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h))
            o["step_time_s"] = "%.4g" % (flops / (float(r["tflops_per_gpu"]) * 1e12 * float(r["num_gpus"])))
            derived.append("step_time_s (paper FLOPs formula / published TFLOP/s)")
        if r["source_key"] == "korthikanti2022" and r["num_layers"] in ("96", "105") and r["tp"]:
            o["vp"] = "3"
            derived.append("vp (Calculon validation inputs; matches Figure 1 memory)")
        if r["source_key"] == "narayanan2021" and not r["sequence_parallel"]:
            o["sequence_parallel"] = "no"
            derived.append("sequence_parallel (introduced by Korthikanti 2022, after this paper)")
        if r["model"].startswith("Nemotron-") and r["hidden_size"] and not r["vocab_size"]:
            o["vocab_size"] = "256000"
            derived.append("vocab_size (NeMo Nemotron config, as in the dgxc Nemotron rows)")
        for k in ADDED[3:]:
            o[k] = r.get(k, "")
        if r["model"].startswith("Llama 4 Maverick") and not o["moe_layer_freq"]:
            # Public Llama 4 Maverick config (interleave_moe_layer_step 2, one shared expert of 8192).
            o["moe_layer_freq"] = "2"
            o["moe_shared_expert_ffn_size"] = "8192"
            derived.append("moe_layer_freq, moe_shared_expert_ffn_size (public Llama 4 Maverick config)")
        if r["model"].startswith("DeepSeek-V3") and not o["moe_shared_expert_ffn_size"]:
            o["moe_shared_expert_ffn_size"] = "2048"  # public DeepSeek-V3 config: n_shared_experts 1 x 2048
            derived.append("moe_shared_expert_ffn_size (public DeepSeek-V3 config.json)")
        if r["source_key"] == "dgxc_benchmarking" and r["model"].startswith("DeepSeek-V3") \
                and "v25.05.05" in r["source_version"] and not o["recompute"]:
            gpu = next((g for g in DGXC_V3_RECOMPUTE if r["gpu_type"].startswith(g)), None)
            if gpu:
                o["recompute"] = "selective"
                o["recompute_modules"] = DGXC_V3_RECOMPUTE[gpu]
                derived.append(DGXC_V3_SOURCE.format(DGXC_V3_RECOMPUTE[gpu], gpu))
        if r["source_key"] == "dgxc_benchmarking" and "README_340b.md" in r["source_location"] \
                and "v24.11.1" in r["source_version"] and not o["optimizer_state_bytes"]:
            o["optimizer_state_bytes"] = "6"
            derived.append(BF16_ADAM.format(DGXC_340B_YAML))
        if r["source_key"] == "dgxc_benchmarking" and r["model"] == "Nemotron-4 340B" and "v25.04" in r["source_version"] \
                and not o["vp"]:
            # The README table prints VP "NA", but the release's launcher passes -vp 12 for 340b to NeMo's
            # scripts/performance/llm/pretrain_nemotron4_340b.py.
            o["vp"] = "12"
            derived.append("vp (dgxc-benchmarking v25.04 nemotron/launch.sh at 741c886: VP=12 for MODEL_SIZE 340b, "
                           "passed as -vp; the README table prints NA)")
        if r["source_key"] == "nemo_perf_2407" and r["model"] == "Nemotron-340B" and not o["optimizer_state_bytes"]:
            o["optimizer_state_bytes"] = "6"
            derived.append(BF16_ADAM.format(LAUNCHER_340B_YAML))
        if r["source_key"] == "nemo_perf_2407" and r["task"] in ("sft", "lora"):
            # The launcher's H100 fine-tuning examples of the same period match the table's layouts one to one.
            key = (r["task"], r["model"], r["num_gpus"], r["tp"], r["pp"])
            if key in LAUNCHER_PEFT_VP and not o["vp"]:
                script, vp = LAUNCHER_PEFT_VP[key]
                o["vp"] = vp
                derived.append(f"vp (NeMo-Framework-Launcher examples/peft/llama/h100/{script} at 97f45c18, 2024-06-26: "
                               f"the same GPUs, GBS, MBS, TP and PP with virtual_pipeline_model_parallel_size {vp})")
            if r["task"] == "sft" and not o["optimizer_state_bytes"]:
                o["optimizer_state_bytes"] = "6"
                derived.append(BF16_ADAM.format("NeMo-Framework-Launcher launcher_scripts/conf/peft/llama/sft.yaml at "
                                                "97f45c18, the config of the launcher's H100 fine-tuning examples"))
        o["flash_attention"] = "no" if r["source_key"] in OLD else ""
        o["grad_reduce_in_fp32"] = "yes" if r["source_key"] in OLD else ""
        o["split"] = "fit" if int(r["row_id"]) % 2 == 1 else "holdout"
        o["derived_fields"] = ";".join(derived)
        out.append(o)
    with open(dst_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=KEEP + ADDED, lineterminator="\n")
        w.writeheader()
        w.writerows(out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
