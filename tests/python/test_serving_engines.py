"""Serving engines as an input (issue 14): vLLM/SGLang published rows, their provenance, per-engine
cross-validation in infer-validate (CLI and Python), and unknown engine words as bad input."""
import csv
import os
import subprocess
import sys

import pytest

import bignlp_hp

NEW_ENGINES = ("sglang-0.3", "vllm-0.6")
COPY = "sglang_v0.3_vllm_v0.6_sharegpt.txt"


def _rows(repo_root):
    with open(os.path.join(repo_root, "libhp", "data", "serving_published.csv"), newline="") as f:
        return list(csv.DictReader(f))


def test_transcription_reproduces_the_shipped_csv(repo_root, tmp_path):
    out = tmp_path / "serving.csv"
    script = os.path.join(repo_root, "libhp", "data", "serving", "transcribe_serving.py")
    subprocess.run([sys.executable, script, os.path.join(repo_root, "libhp", "data", "serving"), str(out)], check=True)
    with open(os.path.join(repo_root, "libhp", "data", "serving_published.csv"), encoding="utf-8") as f:
        assert out.read_text(encoding="utf-8") == f.read()


def test_every_row_has_a_source_and_new_engine_values_come_from_the_copy(repo_root):
    rows = _rows(repo_root)
    assert all(r["source"].strip() for r in rows)
    with open(os.path.join(repo_root, "libhp", "data", "serving", COPY), encoding="utf-8") as f:
        copy = f.read()
    new = [r for r in rows if r["engine"] in NEW_ENGINES]
    assert {r["engine"] for r in new} == set(NEW_ENGINES)
    assert {r["split"] for r in new} == {"fit", "holdout"}
    for r in new:
        assert "sgl-project/sglang" in r["source"] and "benchmark_vllm_060" in r["source"]
        value = float(r["value"])
        text = f"{value:.2f}" if r["metric"] == "output_tokens_per_s" else f"{value * 1e3:.2f}"  # seconds -> ms
        assert text in copy, (r["metric"], r["value"])


def _engine_rows(repo_root, tmp_path):
    """The A100 rows of the two new engines: a small file, so five refits take seconds."""
    rows = [r for r in _rows(repo_root) if r["engine"] in NEW_ENGINES and r["gpu"] == "a100-80gb"]
    path = tmp_path / "engines.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    return path


def test_cross_validation_reports_each_engine_cli_and_python(cli, repo_root, tmp_path):
    data = _engine_rows(repo_root, tmp_path)
    text = cli.run("infer-validate", "--data", data, "--cross-validate", check=True).stdout
    for table in ("sglang-0.3-online ttft_s", "sglang-0.3-online tpot_s", "vllm-0.6-online tpot_s",
                  "sglang-0.3-sharegpt output_tokens_per_s", "vllm-0.6-sharegpt output_tokens_per_s"):
        assert table in text
    rep = bignlp_hp.validate_inference(data=str(data), cross_validate=True)
    engines = {r["engine"] for r in rep["rows"] if r["evaluated"]}
    assert engines == set(NEW_ENGINES)
    assert all(r["predicted"] > 0 for r in rep["rows"])
    # Out of sample: each fold refits every (GPU family, engine) group, unlike the shipped fallback.
    shipped = bignlp_hp.validate_inference(data=str(data))
    assert [r["predicted"] for r in rep["rows"]] != [r["predicted"] for r in shipped["rows"]]


def test_unknown_engine_is_bad_input(cli, repo_root, tmp_path):
    data = tmp_path / "bad.csv"
    rows = _rows(repo_root)
    header = list(rows[0].keys())
    bad = dict(rows[-1], engine="tgi-2.1")
    with open(data, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerow(bad)
    proc = cli.run("infer-validate", "--data", data)
    assert proc.returncode == 2
    assert "engine=tgi-2.1" in proc.stderr and "trtllm, vllm, sglang or fastertransformer" in proc.stderr
    cfg = tmp_path / "serve.yaml"
    cfg.write_text("inference_settings:\n  model: gpt3/5b\n  gpu: h100-sxm\n  mode: max_throughput\n  engine: tgi\n")
    proc = cli.run("infer-search", cfg)
    assert proc.returncode == 2 and "inference_settings.engine=tgi" in proc.stderr
    with pytest.raises(ValueError, match="engine=vllm-v0.6"):
        bignlp_hp.estimate_serving(model="gpt3/5b", engine="vllm-v0.6")


def test_engines_without_a_shipped_fit_take_the_tensorrt_llm_fallback():
    # No vLLM/SGLang fit ships (too few rows to beat the fallback out of sample): their words are accepted and
    # predict with the GPU family's TensorRT-LLM fit; a later TensorRT-LLM version takes the latest fitted one.
    kw = dict(model="gpt3/5b", gpu="h100-sxm", tp=1, input_len=512, output_len=256, weight_dtype="bf16")
    trt = bignlp_hp.estimate_serving(engine="trtllm", **kw)
    for engine in ("vllm-0.6", "vllm", "sglang-0.4"):
        assert bignlp_hp.estimate_serving(engine=engine, **kw)["output_tokens_per_s"] == pytest.approx(trt["output_tokens_per_s"])
    t17 = bignlp_hp.estimate_serving(engine="trtllm-0.17", **kw)
    assert bignlp_hp.estimate_serving(engine="trtllm-0.19", **kw)["output_tokens_per_s"] == pytest.approx(t17["output_tokens_per_s"])


def test_cli_writes_sglang_benchmark_jobs(cli, tmp_path):
    cfg = tmp_path / "sgl.yaml"
    cfg.write_text("inference_settings:\n  model: gpt3/5b\n  gpu: h100-sxm\n  tensor_parallel_sizes: [1]\n"
                   "  pipeline_parallel_sizes: [1]\n  batch_sizes: [8]\n  top_n: 1\n  benchmark_tool: sglang\n")
    out = tmp_path / "res"
    j = cli.json("infer-search", cfg, "--results-dir", out)
    best = j["best"]
    run = out / "inference" / f"gpt3_5b_tp{best['tp']}_pp{best['pp']}_bs{best['batch_size']}"
    script = (run / "run.sh").read_text()
    assert "'sglang.bench_offline_throughput'" in script and "'--max-running-requests' '8'" in script
    assert os.access(run / "run.sh", os.X_OK)


def test_multi_step_scheduling_explains_vllm_ttft(cli, repo_root, tmp_path):
    # vLLM 0.6 ran with --num-scheduler-steps 10 (column scheduler_steps): its TTFT rows, never fitted, are within
    # 20 % with the wait for the running round, and far off without it.
    rows = [r for r in _rows(repo_root) if r["table"] == "vllm-0.6-online" and r["metric"] == "ttft_s"]
    assert len(rows) == 4 and {r["scheduler_steps"] for r in rows} == {"10"} and {r["split"] for r in rows} == {"holdout"}
    path = tmp_path / "vllm_ttft.csv"
    for steps in ("10", "1"):
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(dict(r, scheduler_steps=steps) for r in rows)
        rep = bignlp_hp.validate_inference(data=str(path))
        errors = [abs(r["predicted"] / r["measured"] - 1) for r in rep["rows"]]
        assert (max(errors) < 0.2) if steps == "10" else (min(errors) > 0.5), (steps, errors)
    text = cli.run("infer-validate", "--data", path, check=True).stdout
    assert "vllm-0.6-online ttft_s" in text
    # Python: the keyword of estimate_serving and serving_search; 0 is bad input naming it.
    one = bignlp_hp.estimate_serving(model="llama-3.1-8b", gpu="a100-80gb", mode="online", request_rate=4,
                                     input_len=202, output_len=194, weight_dtype="bf16")
    ten = bignlp_hp.estimate_serving(model="llama-3.1-8b", gpu="a100-80gb", mode="online", request_rate=4,
                                     input_len=202, output_len=194, weight_dtype="bf16", scheduler_steps=10)
    assert ten["ttft_s"] > one["ttft_s"] + 4 * one["tpot_s"]
    with pytest.raises(ValueError, match="scheduler_steps=0"):
        bignlp_hp.estimate_serving(model="llama-3.1-8b", mode="online", request_rate=4, scheduler_steps=0)
    with pytest.raises(ValueError, match="scheduler_steps=0"):
        bignlp_hp.serving_search(model="llama-3.1-8b", gpu="a100-80gb", mode="online", request_rate=4,
                                 scheduler_steps=0)
    cfg = tmp_path / "serve.yaml"
    cfg.write_text("inference_settings:\n  model: llama-3.1-8b\n  gpu: a100-80gb\n  mode: online\n"
                   "  request_rate: 4\n  scheduler_steps: -3\n")
    proc = cli.run("infer-search", cfg)
    assert proc.returncode == 2 and "inference_settings.scheduler_steps=-3" in proc.stderr
