"""Inference HP search: Python API, CLI end to end, measured logs, bad input."""
import json
import os
import shutil
import xml.etree.ElementTree as ET

import pytest

import bignlp_hp

NEMO_COLUMNS = ["TP", "PP", "BS", "Latency [ms]", "Throughput per GPU [samples/sec/gpu]"]


def _example(repo_root):
    return os.path.join(repo_root, "examples", "inference", "gpt3_5b.yaml")


def test_estimate_inference_decode_bound():
    e1 = bignlp_hp.estimate_inference(model="gpt3/5b", gpu="h100-sxm", batch_size=1)
    e64 = bignlp_hp.estimate_inference(model="gpt3/5b", gpu="h100-sxm", batch_size=64)
    assert e1["fits"] and e64["fits"]
    assert e1["latency_s"] == pytest.approx(e1["ttft_s"] + 19 * e1["tpot_s"])
    assert e64["throughput_per_gpu"] > 10 * e1["throughput_per_gpu"]
    fp8 = bignlp_hp.estimate_inference(model="gpt3/5b", gpu="a100-80gb", weight_dtype="fp8")
    assert not fp8["fits"] and fp8["reason"] == "fp8_unsupported"


def test_inference_search_python_to_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    r = bignlp_hp.inference_search(model="gpt3/5b", gpu="a100-80gb", tensor_parallel_sizes=[1, 2, 4],
                                   pipeline_parallel_sizes=[1], batch_sizes=[1, 16, 128], max_latency_ms=400,
                                   top_n=3, results_dir=str(tmp_path))
    df = r.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[:4]) == ["rank", "tp", "pp", "batch_size"]
    assert r.csv.splitlines()[0].split(",")[:5] == NEMO_COLUMNS  # NeMo's final_output.csv keeps NeMo's names
    assert len(df) == 9
    assert r.best is not None
    assert r.best["latency_ms"] <= 400
    ranked = df[df["rank"].notna()].sort_values("rank")
    assert ranked["throughput_per_gpu"].is_monotonic_decreasing
    assert ranked.iloc[0]["tp"] == r.best["tp"]
    assert os.path.isfile(os.path.join(r.summary_dir, "final_output.csv"))
    assert r.num_jobs_planned == 3


def test_inference_search_write_false_writes_nothing(tmp_path):
    r = bignlp_hp.inference_search(model="gpt3/5b", gpu="h100-sxm", write=False, results_dir=str(tmp_path))
    assert r.summary_dir is None and r.files == []
    assert os.listdir(tmp_path) == []
    assert len(r) > 0


def test_inference_search_bad_input_is_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"inference_settings.tensor_parallel_sizes=\[0\]"):
        bignlp_hp.inference_search(model="gpt3/5b", tensor_parallel_sizes=[0], results_dir=str(tmp_path))
    with pytest.raises(bignlp_hp.ConfigError, match="inference_settings.model=gpt3/6b"):
        bignlp_hp.inference_search(model="gpt3/6b", results_dir=str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_validate_inference_bounds():
    rep = bignlp_hp.validate_inference()
    assert len(rep["rows"]) == 114
    assert rep["mean_abs_error"] <= 0.10  # target from issue 14 (<= 10 % mean), not today's 6.3 %
    assert all(r["source"].startswith("https://github.com/NVIDIA/") for r in rep["rows"])


def test_cli_infer_search_end_to_end(cli, repo_root, tmp_path):
    out = tmp_path / "res"
    j = cli.json("infer-search", _example(repo_root), "--results-dir", out)
    assert j["model"] == "gpt3/5b" and j["gpu"] == "a100-80gb"
    assert j["num_candidates"] == 3 * 2 * 7
    assert j["best"]["latency_ms"] <= 1200
    assert j["best"]["rank"] == 1
    assert len(j["top"]) == 10
    summary = out / "inference" / "final_summary"
    header = (summary / "final_output.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == NEMO_COLUMNS
    assert "TTFT [ms]" in header and "Measured Latency [ms]" in header
    root = ET.parse(summary / "pareto.svg").getroot()  # well-formed, self-contained SVG
    assert root.tag.endswith("svg")
    ns = "{http://www.w3.org/2000/svg}"
    frame = root.find(f"{ns}rect[@stroke]")
    x0, y0 = float(frame.get("x")), float(frame.get("y"))
    x1, y1 = x0 + float(frame.get("width")), y0 + float(frame.get("height"))
    points = [g for g in root.iter(f"{ns}g") if "pt" in (g.get("class") or "").split()]
    assert len(points) == 21  # every fitting layout is drawn (predicted: circles), inside the plot frame
    for g in points:
        c = g.find(f"{ns}circle")
        assert x0 <= float(c.get("cx")) <= x1 and y0 <= float(c.get("cy")) <= y1
    assert "TP " in points[0].find(f"{ns}title").text
    assert "tensor_parallel_size:" in (summary / "best_layout.yaml").read_text()
    best = j["best"]
    run = out / "inference" / f"gpt3_5b_tp{best['tp']}_pp{best['pp']}_bs{best['batch_size']}"
    assert (run / "config.ini").is_file() and os.access(run / "run.sh", os.X_OK)
    assert "#SBATCH --nodes=1" in (run / "submit.sh").read_text()


def test_cli_infer_search_reads_measured_logs(cli, repo_root, tmp_path):
    """A run directory with a benchmark log: measured latency replaces the prediction, failures are classified."""
    out = tmp_path / "res"
    j = cli.json("infer-search", _example(repo_root), "--results-dir", out)
    top = j["top"]
    data = os.path.join(repo_root, "tests", "data", "inference")
    first = out / "inference" / f"gpt3_5b_tp{top[0]['tp']}_pp{top[0]['pp']}_bs{top[0]['batch_size']}"
    second = out / "inference" / f"gpt3_5b_tp{top[1]['tp']}_pp{top[1]['pp']}_bs{top[1]['batch_size']}"
    shutil.copy(os.path.join(data, "ft_ok.log"), first / "bench.log")      # 261.47 ms
    shutil.copy(os.path.join(data, "ft_oom.log"), second / "bench.log")
    proc = cli.run("infer-search", _example(repo_root), "--results-dir", out, check=True)
    assert "failed benchmark:" in proc.stdout and "out_of_memory" in proc.stdout
    rows = (out / "inference" / "final_summary" / "final_output.csv").read_text().splitlines()
    header = rows[0].split(",")
    measured = [dict(zip(header, r.split(","))) for r in rows[1:] if ",measured," in r]
    assert len(measured) == 1
    assert float(measured[0]["Latency [ms]"]) == pytest.approx(261.47)
    assert measured[0]["Measure Status"] == "ok"
    assert measured[0]["Latency Error [%]"] != ""
    oom = [dict(zip(header, r.split(","))) for r in rows[1:] if r.endswith(",out_of_memory")]
    assert len(oom) == 1 and oom[0]["Rank"] == ""  # a failed measurement is not ranked


def test_cli_infer_search_bad_input(cli, tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("model: gpt3\ninference_settings:\n  model: gpt3_5b\n  tensor_parallel_sizes: [1, 0]\n")
    out = tmp_path / "res"
    proc = cli.run("infer-search", cfg, "--results-dir", out)
    assert proc.returncode == 2
    assert "tensor_parallel_sizes" in proc.stderr and "0" in proc.stderr
    assert not out.exists()
    cfg.write_text("model: gpt3\ninference_settings:\n  model: gpt3_5b\n  benchmark_tool: triton\n")
    proc = cli.run("infer-search", cfg, "--results-dir", out)
    assert proc.returncode == 2 and "benchmark_tool=triton" in proc.stderr
    assert not out.exists()
    proc = cli.run("infer-search", tmp_path / "missing.yaml", "--results-dir", out)
    assert proc.returncode == 3
    cfg.write_text("model: gpt3\ninference_settings:\n  model: gpt3_5b\n  max_latency_ms: 0.001\n")
    proc = cli.run("infer-search", cfg, "--results-dir", out)
    assert proc.returncode == 4 and "no feasible layout" in proc.stderr


def test_cli_infer_validate(cli, repo_root):
    j = cli.json("infer-validate")
    assert j["num_rows"] == 114 and j["mean_abs_error"] <= 0.10  # issue 14's target, not today's output
    j = cli.json("infer-validate", "--data", os.path.join(repo_root, "tests", "data", "inference", "measured_runs.csv"))
    assert j["num_rows"] == 2
    proc = cli.run("infer-validate", "--data", os.path.join(repo_root, "tests", "data", "inference", "measured_runs_bad.csv"))
    assert proc.returncode == 2 and "tp=zero" in proc.stderr


def test_cli_infer_search_local_executor(cli, repo_root, tmp_path):
    """--executor local launches the planned FasterTransformer jobs (a stand-in binary), waits, parses the logs."""
    cfg = tmp_path / "local.yaml"
    cfg.write_text(
        "model: gpt3\ninference_settings:\n  model: gpt3_5b\n  gpu: a100-80gb\n  tensor_parallel_sizes: [1]\n"
        "  pipeline_parallel_sizes: [1]\n  max_batch_sizes: [8, 64, 256]\n  top_n: 3\n"
    )
    out = tmp_path / "res"
    fake_ft = os.path.join(repo_root, "tests", "data", "inference", "fake_ft")
    proc = cli.run("infer-search", cfg, "--results-dir", out, "--executor", "local", "--ft-path", fake_ft, "--json")
    assert proc.returncode == 0, proc.stderr
    j = json.loads(proc.stdout)
    assert j["num_jobs_planned"] == 3
    assert j["num_measured"] == 2  # bs 256 "runs out of memory"
    assert j["best"]["latency_source"] == "measured"
    # Measured: bs 64 -> 37 ms, bs 8 -> 9 ms; bs 64 has the best throughput per GPU.
    assert j["best"]["batch_size"] == 64
    assert j["best"]["latency_ms"] == pytest.approx(37.0)
    rows = (out / "inference" / "final_summary" / "final_output.csv").read_text().splitlines()
    assert any(r.endswith(",out_of_memory") for r in rows), rows
    log = out / "inference" / "gpt3_5b_tp1_pp1_bs64" / "bench.log"
    assert "FT-CPP-decoding-beamsearch-time 37.00 ms" in log.read_text()
    # A second run reuses the logs: nothing is launched again, the same measurements come back.
    j2 = cli.json("infer-search", cfg, "--results-dir", out, "--executor", "local", "--ft-path", fake_ft)
    assert j2["num_measured"] == 2 and j2["best"]["latency_ms"] == pytest.approx(37.0)


def test_cli_infer_search_bad_executor(cli, repo_root, tmp_path):
    proc = cli.run("infer-search", _example(repo_root), "--results-dir", tmp_path / "res", "--executor", "k8s")
    assert proc.returncode == 2 and "executor=k8s" in proc.stderr
    assert not (tmp_path / "res").exists()


def test_cli_infer_search_nemo_2204_flat_keys(cli, tmp_path):
    """NeMo 22.04's flat inference_settings (input_seq_len, output_seq_len, max_batch_sizes, top_n, max_latency_ms)."""
    cfg = tmp_path / "flat.yaml"
    cfg.write_text(
        "model: gpt3\ninference_settings:\n  model_train_name: gpt3_5b\n  gpu: a100-80gb\n  vocab_size: 51200\n"
        "  start_id: 50256\n  end_id: 50256\n  input_seq_len: 60\n  output_seq_len: 20\n  max_latency_ms: 1200\n"
        "  top_n: 5\n  tensor_parallel_sizes: [1, 2, 4, 8]\n  pipeline_parallel_sizes: [1]\n"
        "  max_batch_sizes: [1, 2, 8, 16, 32, 64, 256]\n"
    )
    j = cli.json("infer-search", cfg, "--results-dir", tmp_path / "res")
    assert j["num_candidates"] == 4 * 7
    assert len(j["top"]) == 5
    assert all(t["input_len"] == 60 and t["output_len"] == 20 and t["latency_ms"] <= 1200 for t in j["top"])


def test_python_inference_search_local_executor(repo_root, tmp_path):
    fake_ft = os.path.join(repo_root, "tests", "data", "inference", "fake_ft")
    r = bignlp_hp.inference_search(model="gpt3/5b", gpu="a100-80gb", tensor_parallel_sizes=[1],
                                   pipeline_parallel_sizes=[1], batch_sizes=[8, 64], top_n=2,
                                   results_dir=str(tmp_path), executor="local", ft_path=fake_ft)
    assert r.num_measured == 2
    assert r.best["latency_source"] == "measured" and r.best["latency_ms"] == pytest.approx(37.0)
    assert r.best["measured_latency_ms"] == pytest.approx(37.0) and r.best["measure_status"] == "ok"


def test_cli_infer_search_model_and_gpu_from_train_settings(cli, tmp_path):
    """A full NeMo search config: the model comes from train_settings.model_size_in_b, the GPU from gpu_memory_gb,
    the results from train_settings.logs (NeMo's layout <logs>/inference/final_summary/)."""
    logs = tmp_path / "logs"
    cfg = tmp_path / "full.yaml"
    cfg.write_text(
        f"model: gpt3\ntrain_settings:\n  model_size_in_b: 20\n  gpu_memory_gb: 40\n  logs: {logs}\n"
        "inference_settings:\n  benchmark:\n    input_len: 60\n    output_len: 20\n  top_n: 3\n"
    )
    j = cli.json("infer-search", cfg)
    assert j["model"] == "gpt3/20b" and j["gpu"] == "a100-40gb"
    assert j["num_candidates"] == 3 * 3 * 7  # NeMo's 20b lists: TP [2,4,8] x PP [1,2,4] x 7 batch sizes
    assert (logs / "inference" / "final_summary" / "final_output.csv").is_file()


# ---- Serving with in-flight batching (issue 14) ----

LLAMA70B = {"num_layers": 80, "hidden_size": 8192, "num_attention_heads": 64, "num_query_groups": 8,
            "ffn_hidden_size": 28672, "vocab_size": 128256, "max_position_embeddings": 131072}


def _serving_yaml(path, **extra):
    lines = ["inference_settings:", "  model: llama-3.1-70b", "  gpu: h100-sxm", "  data_type: fp8",
             "  tensor_parallel_sizes: [1, 2, 4, 8]", "  pipeline_parallel_sizes: [1]", "  architecture:"]
    lines += [f"    {k}: {v}" for k, v in LLAMA70B.items()]
    lines += [f"  {k}: {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_estimate_serving_python():
    arch = {k: str(v) for k, v in LLAMA70B.items()}
    e = bignlp_hp.estimate_serving(model="llama-3.1-70b", architecture=arch, gpu="h100-sxm", tp=4,
                                   input_len=1000, output_len=1000)
    assert e["fits"] and 0 < e["concurrency"] <= e["max_concurrency"]
    assert e["output_tokens_per_s"] == pytest.approx(e["requests_per_s"] * 1000)
    on = bignlp_hp.estimate_serving(model="llama-3.1-70b", architecture=arch, tp=4, mode="online",
                                    request_rate=2, input_len=467, output_len=256)
    assert on["requests_per_s"] == pytest.approx(2) and not on["saturated"]
    d = bignlp_hp.estimate_serving(model="llama-3.1-70b", architecture=arch, mode="disaggregated", tp=4,
                                   prefill_tp=2, input_len=4000, output_len=500)
    assert d["fits"] and d["kv_transfer_s"] > 0 and d["num_gpus"] == 6
    with pytest.raises(ValueError, match="mode=burst"):
        bignlp_hp.estimate_serving(model="llama-3.1-70b", architecture=arch, mode="burst")
    fp4 = bignlp_hp.estimate_serving(model="llama-3.1-70b", architecture=arch, gpu="h100-sxm", weight_dtype="nvfp4")
    assert not fp4["fits"] and fp4["reason"] == "fp4_unsupported"


def test_serving_search_python_bounds_and_message():
    r = bignlp_hp.serving_search(architecture=LLAMA70B, model="llama-3.1-70b", gpu="h100-sxm", data_type="fp8",
                                 tensor_parallel_sizes=[1, 2, 4, 8], pipeline_parallel_sizes=[1],
                                 input_seq_lengths=[1000], output_seq_lengths=[1000], max_ttft_ms=1000,
                                 max_tpot_ms=50)
    assert r.best is not None and r.best["tpot_ms"] <= 50 and r.best["ttft_ms"] <= 1000
    assert r.pareto and all(p["fits"] is True for p in r.pareto)
    none = bignlp_hp.serving_search(architecture=LLAMA70B, model="llama-3.1-70b", gpu="h100-sxm",
                                    data_type="fp8", tensor_parallel_sizes=[8], pipeline_parallel_sizes=[1],
                                    input_seq_lengths=[1000], output_seq_lengths=[1000], max_tpot_ms=0.01)
    assert none.best is None and "lowest reachable TPOT" in none.message
    with pytest.raises(ValueError, match="input_seq_lengths"):
        bignlp_hp.serving_search(architecture=LLAMA70B, model="llama-3.1-70b", input_seq_lengths=[131000],
                                 output_seq_lengths=[1000])


def test_validate_serving_python_holdout():
    rep = bignlp_hp.validate_inference(published="serving", split="holdout")
    assert rep["num_not_evaluated"] == 0
    assert all(r["split"] == "holdout" for r in rep["rows"])
    assert rep["mean_abs_error_throughput"] < 0.25


def test_cli_infer_search_serving(cli, tmp_path):
    cfg = _serving_yaml(tmp_path / "serve.yaml", mode="max_throughput", max_ttft_ms=1000, max_tpot_ms=50,
                        input_seq_lengths="[1000]", output_seq_lengths="[1000]", disaggregated="true")
    out = tmp_path / "res"
    j = cli.json("infer-search", cfg, "--results-dir", out)
    assert j["mode"] == "max_throughput" and j["best"]["within_bounds"]
    assert j["best"]["ttft_ms"] <= 1000 and j["best"]["tpot_ms"] <= 50
    assert j["pareto"] and (out / "serving_output.csv").exists()
    assert j["best_disaggregated"] is None or j["best_disaggregated"]["kind"] == "disaggregated"
    text = cli.run("infer-search", cfg, check=True).stdout
    assert "tok/s/GPU" in text and "disaggregation" in text


def test_cli_infer_search_serving_bad_input(cli, tmp_path):
    cfg = _serving_yaml(tmp_path / "bad.yaml", mode="burst")
    proc = cli.run("infer-search", cfg)
    assert proc.returncode == 2 and "mode=burst" in proc.stderr
    cfg = _serving_yaml(tmp_path / "far.yaml", mode="max_throughput", input_seq_lengths="[131000]",
                        output_seq_lengths="[1000]")
    proc = cli.run("infer-search", cfg)
    assert proc.returncode == 2 and "131072" in proc.stderr
    cfg = _serving_yaml(tmp_path / "tight.yaml", mode="online", max_ttft_ms=0.5, request_rate=1,
                        input_seq_lengths="[1000]", output_seq_lengths="[100]")
    proc = cli.run("infer-search", cfg)
    assert proc.returncode == 4 and "lowest reachable TTFT" in proc.stderr


def test_cli_infer_validate_serving_rows(cli, tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text(
        "model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,source,mode,"
        "num_layers,hidden_size,num_attention_heads,num_query_groups,ffn_hidden_size,vocab_size\n"
        "llama-3.1-8b,h100-sxm,1,1,4096,128,128,fp8,fp8,output_tokens_per_s,28836.77,src,max_throughput,"
        "32,4096,32,8,14336,128256\n"
        "mistral-large,h100-sxm,8,1,1,128,128,fp8,fp8,output_tokens_per_s,100,src,static_batch,,,,,,\n"
        "llama-3.1-8b,tpu-v5,1,1,4096,128,128,fp8,fp8,output_tokens_per_s,100,src,max_throughput,"
        "32,4096,32,8,14336,128256\n")
    j = cli.json("infer-validate", "--data", data)
    assert j["num_rows"] == 3 and j["num_not_evaluated"] == 2
    reasons = [r["reason"] for r in j["rows"] if not r["evaluated"]]
    assert any("mistral-large" in x for x in reasons) and any("tpu-v5" in x for x in reasons)
    assert j["rows"][0]["evaluated"] and j["rows"][0]["predicted"] > 0
    j = cli.json("infer-validate", "--published", "serving", "--split", "holdout")
    assert j["num_not_evaluated"] == 0 and all(r["split"] == "holdout" for r in j["rows"])
    proc = cli.run("infer-validate", "--published", "nope")
    assert proc.returncode == 2 and "--published=nope" in proc.stderr
