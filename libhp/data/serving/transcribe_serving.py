#!/usr/bin/env python3
"""Build libhp/data/serving_published.csv from the verbatim table copies in libhp/data/serving/*.txt.

Usage: python3 libhp/data/serving/transcribe_serving.py libhp/data/serving libhp/data/serving_published.csv

Rules (every value not copied is derived here, nowhere else):
- Architectures: the models' Hugging Face config.json (ARCH below, cited per model).
- Engine settings the pages state: release 0.17 trtllm-bench with FP8 quantization (KV cache FP8 too) for
  H200/H100/L40S, FP16 on A100, kv_cache_free_gpu_mem_fraction 0.95 ("in majority of cases"); max_num_tokens 8192
  and max_batch_size 4096 as the page's example run prints. Online rows: BF16, Triton backend defaults
  (kv_cache_free_gpu_mem_fraction 0.9, max_num_tokens 8192, max_batch_size 2048).
- Release 0.10 (gptManagerBenchmark IFB): max_batch_size 2048, max_num_tokens 2048, kv_cache_free_gpu_mem_fraction
  0.9 as its build and run commands state; FP8 columns quantize the KV cache too.
- GH200 columns are left out (no GH200 in the GPU catalogue).
- Online rows at a finite QPS whose measured request throughput is below 0.9 x QPS did not reach a steady state
  (the queue grows with the benchmark's 500 requests): only their throughput is kept. Rows at QPS INF are the
  maximum-throughput scenario of those 500 requests.
- split: fit for odd data lines of each table file, holdout for even (never used for fitting).
"""
import csv
import sys
from pathlib import Path

URL_017 = "https://github.com/NVIDIA/TensorRT-LLM/blob/v0.17.0/docs/source/performance/perf-overview.md"
URL_010 = "https://github.com/NVIDIA/TensorRT-LLM/blob/v0.10.0/docs/source/performance/perf-overview.md"
# Models whose architecture the library knows by name (hp::validation_model): no architecture columns.
VALIDATION_MODELS = {"gpt-j-6b": 2048, "llama-2-70b": 4096}  # name -> context (max_position_embeddings)
# (layers, hidden, heads, kv heads, ffn, vocab, max_positions, experts, topk, source)
ARCH = {
    "llama-3.1-8b": (32, 4096, 32, 8, 14336, 128256, 131072, 0, 0, "huggingface.co/meta-llama/Llama-3.1-8B config.json"),
    "llama-3.1-70b": (80, 8192, 64, 8, 28672, 128256, 131072, 0, 0, "huggingface.co/meta-llama/Llama-3.1-70B config.json"),
    "llama-3.1-405b": (126, 16384, 128, 8, 53248, 128256, 131072, 0, 0, "huggingface.co/meta-llama/Llama-3.1-405B config.json"),
    "mistral-7b": (32, 4096, 32, 8, 14336, 32000, 32768, 0, 0, "huggingface.co/mistralai/Mistral-7B-v0.1 config.json"),
    "llama-2-7b": (32, 4096, 32, 32, 11008, 32000, 4096, 0, 0, "huggingface.co/meta-llama/Llama-2-7b-hf config.json"),
    "llama-3-8b": (32, 4096, 32, 8, 14336, 128256, 8192, 0, 0, "huggingface.co/meta-llama/Meta-Llama-3-8B config.json"),
    "llama-3-70b": (80, 8192, 64, 8, 28672, 128256, 8192, 0, 0, "huggingface.co/meta-llama/Meta-Llama-3-70B config.json"),
    "mixtral-8x7b": (32, 4096, 32, 8, 14336, 32000, 32768, 8, 2, "huggingface.co/mistralai/Mixtral-8x7B-v0.1 config.json"),
    "mixtral-8x22b": (56, 6144, 48, 8, 16384, 32768, 65536, 8, 2, "huggingface.co/mistralai/Mixtral-8x22B-v0.1 config.json"),
}
HEADER = ["model", "gpu", "tp", "pp", "batch_size", "input_len", "output_len", "weight_dtype", "kv_cache_dtype",
          "metric", "value", "source", "engine", "table", "mode", "concurrency", "request_rate", "max_num_tokens",
          "kv_cache_fraction", "split", "num_layers", "hidden_size", "num_attention_heads", "num_query_groups",
          "ffn_hidden_size", "vocab_size", "max_position_embeddings", "moe_num_experts", "moe_topk", "activation",
          "architecture_source"]


def data_lines(path):
    return [l.split() for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]


def arch(model):
    if model in VALIDATION_MODELS:
        return [""] * 11
    a = ARCH[model]
    return list(a[:9]) + ["swiglu", a[9]]


def context(model):
    return VALIDATION_MODELS[model] if model in VALIDATION_MODELS else ARCH[model][6]


def row(model, gpu, tp, isl, osl, wdt, metric, value, source, engine, table, mode, rate, tokens, bs, frac, split):
    return [model, gpu, tp, 1, bs, isl, osl, wdt, wdt, metric, value, source, engine, table, mode, 0, rate, tokens,
            frac, split] + arch(model)


def throughput_017(path):
    gpus = [("h200", "fp8"), ("h100-sxm", "fp8"), (None, None), ("l40s", "fp8"), ("a100-80gb", "fp16")]
    out = []
    for i, f in enumerate(data_lines(path)):
        model, tp, isl, osl = f[0], int(f[1]), int(f[2]), int(f[3])
        split = "fit" if i % 2 == 0 else "holdout"
        for (gpu, dt), v in zip(gpus, f[4:]):
            if gpu is None or v == "-":
                continue
            out.append(row(model, gpu, tp, isl, osl, dt, "output_tokens_per_s", v, URL_017 + " (Throughput Measurements)",
                           "trtllm-0.17", "trtllm-0.17-ifb", "max_throughput", 0, 8192, 4096, 0.95, split))
    return out


def throughput_010(path):
    gpus = [("h200", "fp8"), ("h100-sxm", "fp8"), ("h100-sxm", "fp16"), ("a100-80gb", "fp16"), ("l40s", "fp8"),
            ("l40s", "fp16")]
    out = []
    for i, f in enumerate(data_lines(path)):
        model, tp, isl, osl = f[0], int(f[1]), int(f[2]), int(f[3])
        split = "fit" if i % 2 == 0 else "holdout"
        if isl + osl > context(model):
            continue  # beyond the model's context (GPT-J 2048/2048): not a configuration the model takes
        values = {(gpu, dt): v for (gpu, dt), v in zip(gpus, f[4:]) if v != "-"}  # verbatim text
        for (gpu, dt), text in values.items():
            out.append(row(model, gpu, tp, isl, osl, dt, "output_tokens_per_s", text, URL_010 + " (Throughput Measurements)",
                           "trtllm-0.10", "trtllm-0.10-ifb", "max_throughput", 0, 2048, 2048, 0.9, split))
    return out


def online_014(path):
    out = []
    for i, f in enumerate(data_lines(path)):
        model, gpu, tp, isl, osl, qps, req_s, ttft_ms, itl_ms, _total, out_tok = f
        gpu = {"h100": "h100-sxm", "h200": "h200"}[gpu]
        split = "fit" if i % 2 == 0 else "holdout"
        src = URL_017 + " (Online Serving Measurements, version 0.14.0)"
        common = (model, gpu, int(tp), int(isl), int(osl), "bf16")
        if qps == "INF":
            out.append(row(*common, "output_tokens_per_s", out_tok, src, "trtllm-0.14", "trtllm-0.14-online",
                           "max_throughput", 0, 8192, 2048, 0.9, split))
            continue
        rate = float(qps)
        out.append(row(*common, "output_tokens_per_s", out_tok, src, "trtllm-0.14", "trtllm-0.14-online", "online",
                       rate, 8192, 2048, 0.9, split))
        if float(req_s) < 0.9 * rate:
            continue
        out.append(row(*common, "ttft_s", float(ttft_ms) / 1e3, src, "trtllm-0.14", "trtllm-0.14-online", "online",
                       rate, 8192, 2048, 0.9, split))
        out.append(row(*common, "tpot_s", float(itl_ms) / 1e3, src, "trtllm-0.14", "trtllm-0.14-online", "online",
                       rate, 8192, 2048, 0.9, split))
    return out


def main(src_dir, dst):
    src = Path(src_dir)
    rows = (throughput_010(src / "trtllm_v0.10_throughput.txt") + throughput_017(src / "trtllm_v0.17_throughput.txt") +
            online_014(src / "trtllm_v0.14_online.txt"))
    with open(dst, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
