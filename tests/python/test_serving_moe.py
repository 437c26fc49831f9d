"""MoE serving end to end: EP and attention DP through hp-cli and Python, served-model names (Hugging Face ids),
the perf-overview-shaped measurements CSV (synthetic values), and bad expert layouts (exit 2 / ValueError)."""

import os

import pytest

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYNTHETIC = os.path.join(ROOT, "tests", "data", "inference", "perf_overview_synthetic.csv")
MOE_YAML = os.path.join(ROOT, "examples", "inference", "qwen3_moe_serving.yaml")


def _yaml(path, model, **keys):
    lines = ["inference_settings:", f"  model: {model}", "  gpu: h200", "  mode: max_throughput",
             "  data_type: fp8", "  tensor_parallel_sizes: [2, 4]", "  pipeline_parallel_sizes: [1]",
             "  input_seq_lengths: [1000]", "  output_seq_lengths: [1000]"]
    lines += [f"  {k}: {v}" for k, v in keys.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_cli_moe_search_by_hugging_face_id(cli, tmp_path):
    out = tmp_path / "res"
    j = cli.json("infer-search", MOE_YAML, "--results-dir", out)
    assert j["model"] == "qwen3-235b-a22b"
    best = j["best"]
    assert best["within_bounds"] and best["tpot_ms"] <= 40 and best["ttft_ms"] <= 1000
    assert isinstance(best["attention_dp"], bool) and isinstance(best["ep"], int)
    # The default space holds plain TP and attention DP with ep == tp.
    csv = (out / "serving_output.csv").read_text().splitlines()
    assert csv[0].startswith("rank,kind,tp,pp,ep,attention_dp,")
    rows = [dict(zip(csv[0].split(","), line.split(","))) for line in csv[1:]]
    assert {(r["ep"], r["attention_dp"]) for r in rows if r["tp"] == "8"} == {("1", "false"), ("8", "true")}
    text = cli.run("infer-search", MOE_YAML, check=True).stdout
    assert " adp " in text


def test_cli_moe_search_explicit_ep_list(cli, tmp_path):
    cfg = _yaml(tmp_path / "m.yaml", "mistralai/Mixtral-8x7B-Instruct-v0.1", expert_parallel_sizes="[1, 2]",
                attention_dp="false")
    j = cli.json("infer-search", cfg)
    assert j["model"] == "mixtral/mixtral_8x7b"
    assert {(r["ep"], r["attention_dp"]) for r in j["top"]} <= {(1, False), (2, False)}


def test_cli_moe_bad_expert_layouts_exit_2(cli, tmp_path):
    proc = cli.run("infer-search", _yaml(tmp_path / "a.yaml", "mixtral-8x7b", expert_parallel_sizes="[3]"))
    assert proc.returncode == 2
    assert "inference_settings.expert_parallel_sizes=[3]" in proc.stderr and "8 experts" in proc.stderr
    proc = cli.run("infer-search", _yaml(tmp_path / "b.yaml", "meta-llama/Llama-3.1-8B-Instruct",
                                         expert_parallel_sizes="[2]"))
    assert proc.returncode == 2
    assert "inference_settings.expert_parallel_sizes=[2]" in proc.stderr and "dense" in proc.stderr
    proc = cli.run("infer-search", _yaml(tmp_path / "c.yaml", "mixtral-8x7b", attention_dp="sometimes"))
    assert proc.returncode == 2 and "attention_dp=sometimes" in proc.stderr
    proc = cli.run("infer-search", _yaml(tmp_path / "d.yaml", "someorg/Made-Up-7B"))
    assert proc.returncode == 2 and "inference_settings.model=someorg/Made-Up-7B" in proc.stderr


def test_cli_moe_flags_override_the_config(cli):
    j = cli.json("infer-search", MOE_YAML, "--model", "mistralai/Mixtral-8x22B-Instruct-v0.1",
                 "--expert-parallel-sizes", "1,8", "--attention-dp", "true")
    assert j["model"] == "mixtral-8x22b"
    assert {(r["tp"], r["ep"], r["attention_dp"]) for r in j["top"]} <= {(4, 1, False), (8, 1, False), (8, 8, True)}
    assert (8, 8, False) not in {(r["tp"], r["ep"], r["attention_dp"]) for r in j["top"]}
    proc = cli.run("infer-search", MOE_YAML, "--expert-parallel-sizes", "0")
    assert proc.returncode == 2 and "--expert-parallel-sizes=0" in proc.stderr
    proc = cli.run("infer-search", MOE_YAML, "--attention-dp", "maybe")
    assert proc.returncode == 2 and "--attention-dp=maybe" in proc.stderr
    proc = cli.run("infer-search", MOE_YAML, "--model", "meta-llama/Llama-3.1-8B-Instruct", "--expert-parallel-sizes", "2")
    assert proc.returncode == 2 and "dense" in proc.stderr


def test_cli_validate_perf_overview_shaped_rows(cli):
    j = cli.json("infer-validate", "--data", SYNTHETIC)
    assert j["num_not_evaluated"] == 2
    evaluated = [r for r in j["rows"] if r["evaluated"]]
    assert len(evaluated) == 10 and all(r["predicted"] > 0 for r in evaluated)
    reasons = {r["reason"] for r in j["rows"] if not r["evaluated"]}
    assert any("unknown model someorg/Made-Up-Model-7B-Instruct" in p for p in reasons)
    assert any("ep 2 on a dense model" in p for p in reasons)


def test_python_moe_estimate_and_search():
    plain = bignlp_hp.estimate_serving(model="Qwen/Qwen3-235B-A22B-FP8", gpu="h200", tp=8, input_len=1000,
                                       output_len=1000)
    adp = bignlp_hp.estimate_serving(model="Qwen/Qwen3-235B-A22B-FP8", gpu="h200", tp=8, ep=8, attention_dp=True,
                                     input_len=1000, output_len=1000)
    assert plain["fits"] and adp["fits"]
    # 4 K/V heads over 8 GPUs are replicated under TP; attention DP keeps each request's cache once.
    assert adp["max_concurrency"] > plain["max_concurrency"]
    assert adp["weights_bytes"] > plain["weights_bytes"]  # attention weights replicated
    r = bignlp_hp.serving_search(model="openai/gpt-oss-120b", gpu="b200", data_type="mxfp4",
                                 tensor_parallel_sizes=[1, 2, 4], pipeline_parallel_sizes=[1],
                                 input_seq_lengths=[1000], output_seq_lengths=[1000], attention_dp=True)
    assert r.best is not None
    assert all(row["attention_dp"] for row in r.rows if row["ep"] > 1)
    assert "attention_dp" in r.to_pandas().columns


def test_python_moe_bad_input():
    with pytest.raises(ValueError, match="ep=3"):
        bignlp_hp.estimate_serving(model="mixtral-8x7b", tp=3, ep=3)
    with pytest.raises(ValueError, match="ep=2.*dense"):
        bignlp_hp.estimate_serving(model="meta-llama/Llama-3.1-8B-Instruct", tp=2, ep=2)
    with pytest.raises(ValueError, match="attention_dp=true.*ep == tp"):
        bignlp_hp.estimate_serving(model="mixtral-8x7b", tp=4, ep=2, attention_dp=True)
    with pytest.raises(ValueError, match="inference_settings.expert_parallel_sizes"):
        bignlp_hp.serving_search(model="mixtral-8x7b", expert_parallel_sizes=[3])
    with pytest.raises(TypeError, match="attention_dp"):
        bignlp_hp.serving_search(model="mixtral-8x7b", attention_dp="sometimes")
    with pytest.raises(ValueError, match="model=someorg/Made-Up-7B"):
        bignlp_hp.estimate_serving(model="someorg/Made-Up-7B")
