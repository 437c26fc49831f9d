"""Optimizer CPU offload (Megatron-Core optimizer_cpu_offload / optimizer_offload_fraction) end to end: hp-cli
estimate (flags, text, JSON, bad input), hp-cli search with train_settings.optimizer_cpu_offload (a model that fits
only with it, candidate YAML keys, names, records, the YAML read back by estimate) and the Python Layout."""

import csv
import json

import pytest

import bignlp_hp as hp

GPT175 = ["estimate", "--model", "gpt3", "--size-b", "175", "--gpus", "64", "--tp", "8", "--pp", "8", "--gbs", "256",
          "--gpu", "h100-sxm"]
# GPT-3 20B on one node of 8 A100-40GB: no layout fits with the optimizer state on the GPUs.
# PP limited to divisors of the 44 layers: an uneven PP 8 split (4 + 6 x 6 + 4) would fit without offload.
SEARCH_20B = "model: gpt3\ntrain_settings:\n  model_size_in_b: 20\n  num_nodes: 1\n  gpus_per_node: 8\n" \
             "  gpu: a100-40gb\n  limit_search_runs: 3\n  pipeline_parallel_sizes: [1, 2, 4]\n"


def test_cli_estimate_offload_moves_the_optimizer_state_and_adds_its_time(cli):
    plain = cli.json(*GPT175)
    full = cli.json(*GPT175, "--optimizer-cpu-offload")
    half = cli.json(*GPT175, "--optimizer-cpu-offload", "--optimizer-offload-fraction", "0.5")
    assert plain["optimizer_cpu_offload"] is False and full["optimizer_cpu_offload"] is True
    assert half["optimizer_offload_fraction"] == 0.5
    assert full["memory.optimizer_bytes"] == 0
    assert half["memory.optimizer_bytes"] == pytest.approx(plain["memory.optimizer_bytes"] / 2, rel=1e-12)
    assert full["memory.total_bytes"] == pytest.approx(plain["memory.total_bytes"] - plain["memory.optimizer_bytes"],
                                                       rel=1e-12)
    assert plain["time.optimizer_offload_s"] == 0
    assert 0 < half["time.optimizer_offload_s"] < full["time.optimizer_offload_s"]
    assert half["time.optimizer_s"] == pytest.approx(plain["time.optimizer_s"] / 2, rel=1e-12)
    # dp = 1: the local shard is the stage's 175e9/64 parameters; CPU Adam 28 B each over DGX H100's 76.8 GB/s.
    local = plain["memory.optimizer_bytes"] / 12
    assert full["time.optimizer_offload_s"] == pytest.approx(28 * local / 76.8e9, rel=1e-9)
    serial = cli.json(*GPT175, "--optimizer-cpu-offload", "--no-overlap-cpu-optimizer-d2h-h2d")
    assert serial["time.optimizer_offload_s"] == pytest.approx(28 * local / 76.8e9 + 2 * 4 * local / 64e9, rel=1e-9)
    text = cli.run(*GPT175, "--optimizer-cpu-offload", check=True).stdout
    assert "offload optimizer state 100% on the CPU" in text and "optimizer offload" in text
    assert "optimizer offload" not in cli.run(*GPT175, check=True).stdout  # the classic breakdown stays


@pytest.mark.parametrize("args, key", [
    (["--optimizer-cpu-offload", "--optimizer-offload-fraction", "1.5"], "optimizer_offload_fraction=1.5"),
    (["--optimizer-cpu-offload", "--optimizer-offload-fraction", "-0.5"], "optimizer_offload_fraction=-0.5"),
    (["--optimizer-cpu-offload", "--no-distributed-optimizer"], "optimizer_cpu_offload=true"),
    (["--optimizer-offload-fraction", "0.5"], "optimizer_offload_fraction=0.5"),
])
def test_cli_bad_offload_input_exits_2_naming_the_key(cli, args, key):
    proc = cli.run(*GPT175, *args)
    assert proc.returncode == 2 and key in proc.stderr, proc.stderr


def test_cli_search_offload_is_opt_in_and_rescues_a_model_that_does_not_fit(cli, tmp_path):
    yaml = pytest.importorskip("yaml")
    cfg = tmp_path / "s.yaml"
    cfg.write_text(SEARCH_20B)
    assert cli.run("search", cfg, "--no-write", "--json").returncode == 4  # nothing fits
    cfg.write_text(SEARCH_20B + "  optimizer_cpu_offload: [false, true]\n")
    out = tmp_path / "res"
    proc = cli.run("search", cfg, "--results-dir", out, "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["plan"] and all(t["optimizer_cpu_offload"] and t["distributed_optimizer"] for t in r["plan"])
    trial = r["plan"][0]
    assert trial["config_name"].endswith("_optoff") and trial["optimizer_offload_fraction"] == 1.0
    path = out / "candidate_configs" / (trial["config_name"] + ".yaml")
    optim = yaml.safe_load(path.read_text())["model"]["optim"]
    assert optim["optimizer_cpu_offload"] is True and optim["optimizer_offload_fraction"] == 1.0
    assert optim["overlap_cpu_optimizer_d2h_h2d"] is True and optim["use_precision_aware_optimizer"] is True
    # The candidate read back: the same layout, fitting, with the offload term.
    est = cli.json("estimate", "--nemo-config", path, "--gpu", "a100-40gb")
    assert est["optimizer_cpu_offload"] is True and est["fits"] is True and est["time.optimizer_offload_s"] > 0
    assert est["step_time_s"] == pytest.approx(trial["predicted_step_time_s"], rel=1e-6)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEARCH_20B + "  optimizer_cpu_offload: [sometimes]\n")
    proc = cli.run("search", bad, "--no-write")
    assert proc.returncode == 2 and "train_settings.optimizer_cpu_offload" in proc.stderr


def test_python_layout_offload_fields_and_bad_input():
    plain = hp.estimate("gpt3/5b", hp.Layout(num_gpus=16, gbs=256), "h100-sxm")
    zero = hp.estimate("gpt3/5b", hp.Layout(num_gpus=16, gbs=256, optimizer_cpu_offload=True,
                                            optimizer_offload_fraction=0.0), "h100-sxm")
    assert zero.to_dict() == plain.to_dict()  # a fraction of 0 is no offload, exactly
    layout = hp.Layout(num_gpus=16, gbs=256, optimizer_cpu_offload=True, optimizer_offload_fraction=0.25)
    assert "optimizer_offload_fraction=0.25" in repr(layout)
    quarter = hp.estimate("gpt3/5b", layout, "h100-sxm")
    assert quarter.memory.optimizer_bytes == pytest.approx(0.75 * plain.memory.optimizer_bytes, rel=1e-12)
    assert quarter.time.optimizer_offload_s > 0 and quarter.time.step_time_s > plain.time.step_time_s
    assert hp.find_gpu("gb200").host_memory_bandwidth_bytes_per_s == pytest.approx(255.6e9)
    with pytest.raises(hp.ConfigError) as err:
        hp.Layout(optimizer_offload_fraction=1.5)
    assert "optimizer_offload_fraction" in str(err.value) and isinstance(err.value, ValueError)
    no_dopt = hp.estimate("gpt3/5b", hp.Layout(num_gpus=16, gbs=256, optimizer_cpu_offload=True,
                                               distributed_optimizer=False), "h100-sxm")
    assert not no_dopt.fits and "distributed optimizer" in no_dopt.reason
    rows = hp.estimate_table("gpt3/5b", [layout], gpu="h100-sxm")
    assert rows[0]["optimizer_cpu_offload"] is True and rows[0]["time.optimizer_offload_s"] > 0


def test_python_search_with_offload_dict_config():
    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 20, "num_nodes": 1, "gpus_per_node": 8,
                                               "gpu": "a100-40gb", "limit_search_runs": 2,
                                               "optimizer_cpu_offload": [False, True]}}
    result = hp.search(cfg)
    assert result.plan and result.best["optimizer_cpu_offload"] is True


def test_cli_batch_reads_the_offload_columns(cli, tmp_path):
    runs = tmp_path / "runs.csv"
    runs.write_text("num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,tp,pp,gbs,"
                    "optimizer_cpu_offload,optimizer_offload_fraction\n"
                    "44,6144,48,2048,A100-40GB,8,4,2,256,no,\n"
                    "44,6144,48,2048,A100-40GB,8,4,2,256,yes,1\n"
                    "44,6144,48,2048,A100-40GB,8,4,2,256,yes,2\n")
    out = tmp_path / "pred.csv"
    proc = cli.run("estimate", "--batch", runs, "-o", out)
    assert proc.returncode == 0, proc.stderr
    with open(out) as f:
        plain, offloaded, bad = list(csv.DictReader(f))
    assert plain["fits"] == "no" and offloaded["fits"] == "yes"
    assert float(offloaded["pred_memory_per_gpu_gb"]) < float(plain["pred_memory_per_gpu_gb"])
    assert float(offloaded["pred_step_time_s"]) > float(plain["pred_step_time_s"])
    assert bad["reason"].startswith("optimizer_offload_fraction=2")
