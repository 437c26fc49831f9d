"""Sliding-window attention in serving, end to end: hp-cli infer-search (YAML architecture keys and the
--sliding-window flags), infer-validate --data columns, Python estimate_serving / serving_search, the served
catalogue (gpt-oss, Mistral 7B v0.1), and bad input (exit 2 / ValueError naming the key and the value)."""

import os

import pytest

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWA_YAML = os.path.join(ROOT, "examples", "inference", "mistral_7b_swa_serving.yaml")
MISTRAL = dict(num_layers="32", hidden_size="4096", num_attention_heads="32", num_query_groups="8",
               ffn_hidden_size="14336", vocab_size="32000", max_position_embeddings="32768")
LONG = dict(gpu="h100-sxm", tp=1, weight_dtype="fp8", input_len=16000, output_len=1000)


def test_cli_window_raises_throughput_and_concurrency(cli):
    with_window = cli.json("infer-search", SWA_YAML)
    without = cli.json("infer-search", SWA_YAML, "--sliding-window", "0")
    assert with_window["model"] == without["model"] == "mistral-7b-v0.1"
    assert with_window["best"]["tokens_per_s_per_gpu"] > 1.5 * without["best"]["tokens_per_s_per_gpu"]
    assert with_window["best"]["concurrency"] > without["best"]["concurrency"]
    # A window at or beyond ISL + OSL (17,000) is no window; so is a pattern whose windowed layers do not exist.
    huge = cli.json("infer-search", SWA_YAML, "--sliding-window", "17000")
    assert huge["best"] == without["best"]
    # Every other layer windowed: in between.
    half = cli.json("infer-search", SWA_YAML, "--sliding-window-pattern", "2")
    assert without["best"]["tokens_per_s_per_gpu"] < half["best"]["tokens_per_s_per_gpu"] < \
        with_window["best"]["tokens_per_s_per_gpu"]


def test_cli_window_bad_input_exits_2(cli, tmp_path):
    proc = cli.run("infer-search", SWA_YAML, "--sliding-window", "-3")
    assert proc.returncode == 2 and "--sliding-window" in proc.stderr and "-3" in proc.stderr
    proc = cli.run("infer-search", SWA_YAML, "--sliding-window-pattern", "40")
    assert proc.returncode == 2
    assert "sliding_window_pattern=40" in proc.stderr and "num_layers=32" in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(SWA_YAML).read().replace("sliding_window: 4096", "sliding_window: -4096"))
    proc = cli.run("infer-search", str(bad))
    assert proc.returncode == 2 and "inference_settings.architecture.sliding_window=-4096" in proc.stderr
    pattern_alone = tmp_path / "alone.yaml"
    pattern_alone.write_text(open(SWA_YAML).read().replace("sliding_window: 4096", "sliding_window_pattern: 2"))
    proc = cli.run("infer-search", str(pattern_alone))
    assert proc.returncode == 2 and "sliding_window_pattern=2" in proc.stderr


def test_cli_validate_reads_the_window_columns(cli, tmp_path):
    head = ("model,gpu,tp,pp,batch_size,input_len,output_len,weight_dtype,kv_cache_dtype,metric,value,source,engine,"
            "mode," + ",".join(MISTRAL) + ",sliding_window\n")
    row = "m,h100-sxm,1,1,4096,16000,1000,fp8,fp8,output_tokens_per_s,1000,src,trtllm-0.17,max_throughput," + \
        ",".join(MISTRAL.values()) + ","
    data = tmp_path / "rows.csv"
    data.write_text(head + row + "4096\n" + row + "\n")
    rows = cli.json("infer-validate", "--data", data)["rows"]
    assert [r["evaluated"] for r in rows] == [True, True]
    assert rows[0]["predicted"] > 1.5 * rows[1]["predicted"]
    data.write_text(head + row + "-5\n")
    proc = cli.run("infer-validate", "--data", data)
    assert proc.returncode == 2 and "sliding_window=-5" in proc.stderr


def test_python_estimate_serving_window_keys():
    base = bignlp_hp.estimate_serving(model="mistral", architecture=MISTRAL, **LONG)
    win = bignlp_hp.estimate_serving(model="mistral", architecture=dict(MISTRAL, sliding_window="4096"), **LONG)
    # Every layer keeps 4,096 of the request's 17,000 tokens.
    assert win["kv_bytes_per_token"] == pytest.approx(base["kv_bytes_per_token"] * 4096 / 17000, rel=1e-12)
    assert win["max_concurrency"] >= 4 * base["max_concurrency"]
    same = bignlp_hp.estimate_serving(model="mistral", architecture=dict(MISTRAL, sliding_window="17000"), **LONG)
    assert same == base
    # The served names: Mistral 7B v0.1 has the window, v0.3 does not; gpt-oss alternates 128.
    v1 = bignlp_hp.estimate_serving(model="mistralai/Mistral-7B-v0.1", **LONG)
    v3 = bignlp_hp.estimate_serving(model="mistralai/Mistral-7B-Instruct-v0.3", **LONG)
    assert v1["max_concurrency"] == win["max_concurrency"] and v3["max_concurrency"] == base["max_concurrency"]
    # gpt-oss-120b (config.json): 36 layers, 8 K/V heads of 64, BF16 cache beside MXFP4 weights; 18 layers keep all
    # 9,216 tokens, 18 keep 128.
    oss = bignlp_hp.estimate_serving(model="openai/gpt-oss-120b", gpu="h200", input_len=8192, output_len=1024,
                                   weight_dtype="mxfp4")
    assert oss["kv_bytes_per_token"] == pytest.approx(2 * 8 * 64 * 2 * (18 + 18 * 128 / 9216), rel=1e-12)
    spec = bignlp_hp.ModelSpec()
    assert (spec.sliding_window, spec.sliding_window_pattern) == (0, 0)
    spec.sliding_window = 4096
    assert spec.sliding_window == 4096


def test_python_serving_search_and_bad_window():
    r = bignlp_hp.serving_search(model="mistral", architecture=dict(MISTRAL, sliding_window="4096"), gpu="h100-sxm",
                                 data_type="fp8", tensor_parallel_sizes=[1], pipeline_parallel_sizes=[1],
                                 input_seq_lengths=[16000], output_seq_lengths=[1000])
    r0 = bignlp_hp.serving_search(model="mistral", architecture=MISTRAL, gpu="h100-sxm", data_type="fp8",
                                  tensor_parallel_sizes=[1], pipeline_parallel_sizes=[1],
                                  input_seq_lengths=[16000], output_seq_lengths=[1000])
    assert r.best["tokens_per_s_per_gpu"] > 1.5 * r0.best["tokens_per_s_per_gpu"]
    for key, value, text in [("sliding_window", "-1", "architecture.sliding_window=-1"),
                             ("sliding_window_pattern", "1", "sliding_window_pattern=1"),
                             ("sliding_window_pattern", "33", "sliding_window_pattern=33")]:
        arch = dict(MISTRAL, sliding_window="4096")
        arch[key] = value
        with pytest.raises(ValueError, match=text):
            bignlp_hp.estimate_serving(model="mistral", architecture=arch, **LONG)


TRAIN = ["--num-layers", "32", "--hidden-size", "4096", "--num-attention-heads", "32", "--num-query-groups", "8",
         "--ffn-hidden-size", "14336", "--activation", "swiglu", "--seq-length", "32768", "--vocab-size", "32000",
         "--gpu", "h100-sxm", "--gpus", "8", "--tp", "8", "--gbs", "8", "--recompute", "full"]


def test_training_window_cli_python_and_bad_input(cli):
    full = cli.json("estimate", *TRAIN)
    win = cli.json("estimate", *TRAIN, "--sliding-window", "4096")
    assert win["fits"] and full["fits"]
    assert win["step_time_s"] < 0.8 * full["step_time_s"]
    # Megatron-Bridge's count: windowed layers do fewer FLOPs, so the model FLOPs fall with the step time.
    assert win["tflops_per_gpu"] * win["step_time_s"] < full["tflops_per_gpu"] * full["step_time_s"]
    same = cli.json("estimate", *TRAIN, "--sliding-window", "32768")
    assert same["step_time_s"] == full["step_time_s"] and same["mfu"] == full["mfu"]
    spec = dict(num_layers=32, hidden_size=4096, num_attention_heads=32, num_query_groups=8, ffn_hidden_size=14336,
                activation="swiglu", seq_length=32768, vocab_size=32000, normalization="rmsnorm",
                position_embedding="rope", add_bias_linear=False, share_embeddings_and_output_weights=False)
    layout = bignlp_hp.Layout(num_gpus=8, tp=8, gbs=8, recompute="full")
    est_full = bignlp_hp.estimate(spec, layout, "h100-sxm")
    est_win = bignlp_hp.estimate(dict(spec, sliding_window=4096), layout, "h100-sxm")
    assert est_win.time.step_time_s < 0.8 * est_full.time.step_time_s
    proc = cli.run("estimate", *TRAIN, "--sliding-window", "4096", "--sliding-window-pattern", "40")
    assert proc.returncode == 2 and "sliding_window_pattern=40" in proc.stderr
    proc = cli.run("estimate", *TRAIN, "--sliding-window", "-2")
    assert proc.returncode == 2 and "--sliding-window" in proc.stderr
    # A bad model in estimate is a reason (data), in count_parameters a ValueError naming the key.
    assert not bignlp_hp.estimate(dict(spec, sliding_window=-2), layout, "h100-sxm").fits
    with pytest.raises(ValueError, match="sliding_window=-2"):
        bignlp_hp.count_parameters(dict(spec, sliding_window=-2))
