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
- SGLang 0.3.0 / vLLM 0.6.0 (sglang_v0.3_vllm_v0.6_sharegpt.txt, the SGLang repository's comparison README):
  ShareGPT, so the lengths are the dataset's means: input 202 tokens (the vLLM v0.6.0 blog's ShareGPT sample with
  the Llama 3 tokenizer, "Average input tokens: 202"), output 194 tokens (output tok/s / req/s of the README's own
  offline rows: 194.3-194.4 in all four). Online rows keep the median TTFT and median TPOT; left out are the
  median E2E latency (the median request of ShareGPT's skewed output lengths is far shorter than the mean the
  model takes) and ITL (vLLM's multi-step scheduling returns 10 tokens at a time). vLLM's TTFT rows are all held
  out: with `--num-scheduler-steps 10` (column scheduler_steps) a new request waits for the running 10-step round
  (vLLM v0.6.0 blog, "Batch scheduling multiple steps ahead"), a wait the model had no term for when the rows
  were split; they were never fitted. Engine defaults where the README
  states none: vLLM 0.6 max_num_seqs 256 and max_num_batched_tokens = max(max_model_len, 2048) = 4096 (no chunked
  prefill below 32K context); SGLang 0.3 chunked_prefill_size 8192 and no request cap (4096 here). The memory
  fractions (vLLM gpu_memory_utilization, SGLang mem_fraction_static) are shares of the whole memory; they go into
  kv_cache_fraction as stated (the calibration's memory overhead absorbs the difference). Split per table line
  as above: request rate 4 and the offline rows fit, request rate 8 held out.
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
          "architecture_source", "scheduler_steps"]


def data_lines(path):
    return [l.split() for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")]


def arch(model):
    if model in VALIDATION_MODELS:
        return [""] * 11
    a = ARCH[model]
    return list(a[:9]) + ["swiglu", a[9]]


def context(model):
    return VALIDATION_MODELS[model] if model in VALIDATION_MODELS else ARCH[model][6]


def row(model, gpu, tp, isl, osl, wdt, metric, value, source, engine, table, mode, rate, tokens, bs, frac, split,
        steps=1):
    return [model, gpu, tp, 1, bs, isl, osl, wdt, wdt, metric, value, source, engine, table, mode, 0, rate, tokens,
            frac, split] + arch(model) + [steps]


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


SGLANG_VLLM_URL = ("https://github.com/sgl-project/sglang/blob/120affb9613cc3f5bcd055ec09c7621d3ced0ebc/"
                   "benchmark/benchmark_vllm_060/README.md")
SHAREGPT_ISL, SHAREGPT_OSL = 202, 194
# Section title -> (model, gpu, tp); engine word -> (engine, max_num_seqs, max_num_tokens).
SGLANG_VLLM_SETUPS = {"Llama 3.1 8B": ("llama-3.1-8b", "a100-80gb", 1), "Llama 3.1 70B": ("llama-3.1-70b", "h100-sxm", 4)}
SGLANG_VLLM_ENGINES = {"SGLang": ("sglang-0.3", 4096, 8192), "vLLM": ("vllm-0.6", 256, 4096)}
# Iterations per scheduling round: the README's vLLM command line has --num-scheduler-steps 10; SGLang schedules
# every iteration.
SGLANG_VLLM_STEPS = {"sglang-0.3": 1, "vllm-0.6": 10}


def sglang_vllm_memory_fraction(engine, tp, offline):
    if engine.startswith("vllm"):
        return 0.9
    return 0.88 if tp == 1 or offline else 0.85


def sglang_vllm(path):
    out = []
    section, setup, line_no = "", None, {}
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            section = "online" if "Online" in line else "offline"
        elif line.startswith("### "):
            setup = next(v for k, v in SGLANG_VLLM_SETUPS.items() if k in line)
        elif line.startswith("|"):
            f = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
            model, gpu, tp = setup
            engine, seqs, tokens = SGLANG_VLLM_ENGINES[f[2]]
            key = (section, model, engine)  # split by the line's position among its engine's lines of the table
            i = line_no[key] = line_no.get(key, -1) + 1
            split = "fit" if i % 2 == 0 else "holdout"
            frac = sglang_vllm_memory_fraction(engine, tp, section == "offline")
            loc = f"{SGLANG_VLLM_URL} ({'Online' if section == 'online' else 'Offline'} benchmark results, {model}, {f[2]})"
            table = f"{engine}-{'online' if section == 'online' else 'sharegpt'}"
            common = (model, gpu, tp, SHAREGPT_ISL, SHAREGPT_OSL, "bf16")
            if section == "offline":
                out.append(row(*common, "output_tokens_per_s", f[4], loc, engine, table, "max_throughput", 0, tokens,
                               seqs, frac, split, SGLANG_VLLM_STEPS[engine]))
                continue
            rate = float(f[0])
            for metric, col in (("ttft_s", 4), ("tpot_s", 5)):
                # vLLM's TTFT waits for the running multi-step round (10 steps; the model's scheduler_steps term):
                # those rows stay out of every fit, as they were before the term existed.
                held = "holdout" if engine.startswith("vllm") and metric == "ttft_s" else split
                out.append(row(*common, metric, round(float(f[col]) / 1e3, 8), loc, engine, table, "online", rate,
                               tokens, seqs, frac, held, SGLANG_VLLM_STEPS[engine]))
    return out


def main(src_dir, dst):
    src = Path(src_dir)
    rows = (throughput_010(src / "trtllm_v0.10_throughput.txt") + throughput_017(src / "trtllm_v0.17_throughput.txt") +
            online_014(src / "trtllm_v0.14_online.txt") + sglang_vllm(src / "sglang_v0.3_vllm_v0.6_sharegpt.txt"))
    with open(dst, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
