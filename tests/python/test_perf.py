"""Performance model: Python API (bignlp_hp.estimate and classes) and hp-cli estimate/calibrate/validate."""
import csv
import os

import pytest

import bignlp_hp as hp

PRED_COLUMNS = ["pred_step_time_s", "pred_tokens_per_sec_per_gpu", "pred_tflops_per_gpu", "pred_mfu_pct",
                "pred_memory_per_gpu_gb", "fits", "reason"]


def test_estimate_returns_breakdowns_and_dict():
    layout = hp.Layout(num_gpus=1024, tp=8, pp=4, gbs=2048, sequence_parallel=True)  # tp != pp: a swap shows
    assert (layout.tp, layout.pp, layout.dp) == (8, 4, 32)
    est = hp.estimate("gpt3/175b", layout, "h100-sxm")
    assert est.fits and est.reason == ""
    assert est.time.step_time_s > 0
    parts = est.time
    total = (parts.compute_s + parts.tp_comm_s + parts.cp_comm_s + parts.ep_comm_s + parts.pp_comm_s
             + parts.bubble_s + parts.dp_comm_s + parts.optimizer_s + parts.overhead_s)
    assert total == pytest.approx(parts.step_time_s)
    d = est.to_dict()
    assert d["fits"] is True
    assert d["memory"]["total_bytes"] == pytest.approx(est.memory.total_bytes)
    assert d["mfu"] == pytest.approx(est.model_flops_per_step / parts.step_time_s / 1024 / 989e12)
    assert 0.2 < est.mfu < 0.8


def test_classes_have_keyword_constructors_with_struct_defaults():
    m = hp.ModelSpec(num_layers=32, hidden_size=4096, ffn_hidden_size=14336, num_attention_heads=32,
                     num_query_groups=8, seq_length=8192, vocab_size=128256, activation="swiglu")
    layout = hp.Layout(num_gpus=8, cp=2, gbs=128, recompute="selective")
    assert layout.dp == 4 and layout.num_micro_batches == 32 and layout.distributed_optimizer
    gpu = hp.GpuSpec(name="my-gpu", memory_bytes=96e9, peak_bf16_flops_per_s=800e12)
    est = hp.estimate(m, layout, gpu, calibration=hp.default_calibration("h100-sxm"))
    assert est.time.step_time_s > 0
    assert hp.estimate(m, {"num_gpus": 8, "cp": 2, "gbs": 128}, "H100-SXM-80GB").fits


def test_infeasible_layout_is_a_reason_not_an_exception():
    est = hp.estimate("gpt3/175b", hp.Layout(num_gpus=8, gbs=8), "a100-80gb")
    assert not est.fits
    assert est.reason == "out of memory"
    est = hp.estimate("gpt3/175b", hp.Layout(num_gpus=8, tp=3, gbs=8), "a100-80gb")
    assert "divide" in est.reason


@pytest.mark.parametrize("make, key", [
    (lambda: hp.Layout(tpp=2), "tpp"),
    (lambda: hp.Layout(tp="two"), "tp"),
    (lambda: hp.Layout(recompute="sometimes"), "recompute"),
    (lambda: hp.estimate("gpt3/7b", hp.Layout()), "gpt3/7b"),
    (lambda: hp.estimate("gpt3/5b", hp.Layout(), "tpu-v5"), "tpu-v5"),
])
def test_bad_input_raises_config_error_naming_the_key(make, key):
    with pytest.raises(hp.ConfigError) as err:
        make()
    assert key in str(err.value)
    assert isinstance(err.value, ValueError)


def test_cli_estimate_json_matches_python(cli):
    # No --gpu and no sequence-parallel flag on either side: both assume the same defaults (hp/defaults.hpp).
    out = cli.json("estimate", "--model", "gpt3", "--size-b", "175", "--gpus", "1024", "--tp", "8", "--pp", "4",
                   "--gbs", "2048")
    est = hp.estimate("gpt3/175b", hp.Layout(num_gpus=1024, tp=8, pp=4, gbs=2048))
    assert est.memory.total_bytes > 0 and hp.Layout(tp=8).sequence_parallel and not hp.Layout(tp=1).sequence_parallel
    assert not hp.Layout(tp=8, sequence_parallel=False).sequence_parallel
    assert out["step_time_s"] == pytest.approx(est.time.step_time_s, rel=1e-9)
    assert out["memory.total_bytes"] == pytest.approx(est.memory.total_bytes, rel=1e-9)
    assert out["fits"] is True and (out["tp"], out["pp"], out["dp"]) == (8, 4, 32)


def test_cli_estimate_custom_model(cli):
    out = cli.json("estimate", "--num-layers", "32", "--hidden-size", "4096", "--num-attention-heads", "32",
                   "--seq-length", "4096", "--gpus", "8", "--gbs", "64", "--gpu", "a100-80gb")
    assert out["num_parameters"] == pytest.approx(6.6e9, rel=0.05)
    assert out["tflops_per_gpu"] < 312


def test_cli_batch_writes_prediction_columns(cli, repo_root, tmp_path):
    runs = os.path.join(repo_root, "libhp", "data", "published_runs.csv")
    pred = tmp_path / "pred.csv"
    cli.run("estimate", "--batch", runs, "-o", pred, check=True)
    with open(runs, newline="") as f:
        src = list(csv.DictReader(f))
    with open(pred, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        assert reader.fieldnames[-7:] == PRED_COLUMNS
    assert len(rows) == len(src)
    for row in rows:
        assert row["pred_step_time_s"] or row["reason"], row["row_id"]
    korthikanti = [r for r in rows if r["source_key"] == "korthikanti2022" and r["step_time_s"]]
    assert len(korthikanti) == 8
    for r in korthikanti:
        assert float(r["pred_step_time_s"]) == pytest.approx(float(r["step_time_s"]), rel=0.12)


def test_cli_batch_bad_input(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,gbs,tp\n"
                   "24,2048,16,2048,TPU-v5,8,64,1\n24,2048,16,2048,A100,8,64,x\n")
    out = tmp_path / "out.csv"
    cli.run("estimate", "--batch", bad, "-o", out, check=True)
    rows = list(csv.DictReader(open(out, newline="")))
    assert rows[0]["reason"].startswith("gpu_type=TPU-v5") and rows[0]["fits"] == "no"
    assert rows[1]["reason"].startswith("tp=x")
    missing = tmp_path / "missing.csv"
    out2 = tmp_path / "never.csv"
    proc = cli.run("estimate", "--batch", missing, "-o", out2)
    assert proc.returncode == 3 and str(missing) in proc.stderr
    assert not out2.exists()
    proc = cli.run("estimate", "--model", "gpt3/5b", "--tp", "0")
    assert proc.returncode == 2 and "tp=0" in proc.stderr
    proc = cli.run("estimate", "--model", "gpt3", "--size-b", "7")
    assert proc.returncode == 2 and "size_b=7" in proc.stderr


def test_cli_validate_meets_targets(cli):
    rep = cli.json("validate")
    assert rep["holdout_dense_unflagged"]["mean_abs_pct"] <= 10.0
    assert rep["korthikanti"]["num_runs"] == 8
    assert rep["korthikanti"]["mean_abs_pct"] <= 5.0
    assert "holdout" in rep["split"]
    py = hp.validate_runs()
    assert py["korthikanti"]["mean_abs_pct"] == pytest.approx(rep["korthikanti"]["mean_abs_pct"], abs=1e-3)
    # Grouped hold-out (issue 17): every dense unflagged row, predicted by a calibration refitted without its model
    # (or its source); reported, not targeted (docs/model.md).
    by = {g["by"]: g for g in rep["grouped_holdout"]}
    assert set(by) == {"model", "source"}
    dense = rep["holdout_dense_unflagged"]["num_runs"] + rep["fit_dense_unflagged"]["num_runs"]
    for g in by.values():
        assert g["overall"]["num_runs"] == dense == sum(x["num_runs"] for x in g["groups"])
        assert len(g["groups"]) >= 3
    assert {x["group"] for x in by["source"]["groups"]} >= {"korthikanti2022", "dgxc_benchmarking"}
    for g_py, g_cli in zip(py["grouped_holdout"], rep["grouped_holdout"]):
        assert g_py["overall"]["mean_abs_pct"] == pytest.approx(g_cli["overall"]["mean_abs_pct"], abs=1e-3)


def test_cli_calibrate_then_estimate_with_it(cli, repo_root, tmp_path):
    runs = os.path.join(repo_root, "libhp", "data", "published_runs.csv")
    calib = tmp_path / "calib.yaml"
    fits = cli.json("calibrate", runs, "-o", calib)
    hopper = [c for c in fits["calibrations"] if c["gpu_family"] == "hopper"][0]
    assert hopper["num_runs"] > 50 and hopper["mean_abs_pct_after"] < hopper["mean_abs_pct_before"]
    shipped = hp.default_calibration("h100-sxm")
    assert hopper["gemm_efficiency"] == pytest.approx(shipped.gemm_efficiency, rel=1e-3)
    out = cli.json("estimate", "--model", "gpt3/5b", "--gpus", "8", "--gbs", "64", "--calibration", calib)
    assert out["step_time_s"] > 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("calibrations:\n  - gpu_family: hopper\n    gemm_efficiency: 2\n")
    proc = cli.run("estimate", "--model", "gpt3/5b", "--calibration", bad)
    assert proc.returncode == 2 and "gemm_efficiency" in proc.stderr


def test_cli_estimate_from_a_nemo_config(cli, tmp_path):
    cfg = tmp_path / "base.yaml"
    cli.run("base-config", "--model", "gpt3", "--size-b", "20", "--nodes", "8", "-o", cfg, check=True)
    out = cli.json("estimate", "--nemo-config", cfg, "--gpu", "a100-80gb")
    assert out["num_gpus"] == 64 and out["tp"] == 8 and out["sequence_parallel"] is True
    assert out["num_parameters"] == pytest.approx(20.26e9, rel=1e-3)
    proc = cli.run("estimate", "--nemo-config", tmp_path / "missing.yaml")
    assert proc.returncode == 3


def test_cli_gpus_lists_catalogue_and_user_gpus(cli, tmp_path):
    names = {g["name"]: g for g in cli.json("gpus")}
    assert {"a100-40gb", "a100-80gb", "h100-sxm", "h200", "b200", "gb200"} <= set(names)
    assert names["gb200"]["nvlink_domain_size"] == 72
    assert names["h100-sxm"]["calibration_runs"] > 50
    user = tmp_path / "gpus.yaml"
    user.write_text("- name: lab-gpu\n  base: a100-80gb\n  peak_bf16_tflops: 400\n")
    names = {g["name"]: g for g in cli.json("gpus", "--gpu-file", user)}
    assert names["lab-gpu"]["peak_bf16_flops_per_s"] == pytest.approx(400e12)
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n  peak_bf16_tflops: fast\n")
    proc = cli.run("gpus", "--gpu-file", bad)
    assert proc.returncode == 2 and "peak_bf16_tflops" in proc.stderr and "fast" in proc.stderr


def test_cli_calibrate_own_measurements_without_split_column(cli, tmp_path):
    runs = tmp_path / "mine.csv"
    rows = ["num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,tp,pp,mbs,gbs,step_time_s"]
    for gpus, step in ((8, 2.0), (16, 2.05), (32, 2.1)):
        rows.append(f"24,4096,32,2048,h100-sxm,{gpus},1,1,2,{gpus * 8},{step}")
    runs.write_text("\n".join(rows) + "\n")
    fits = {c["gpu_family"]: c for c in cli.json("calibrate", runs)["calibrations"]}
    assert fits["hopper"]["num_runs"] == 3
    assert fits["hopper"]["mean_abs_pct_after"] < 5
    assert fits["ampere"]["num_runs"] == 0


def test_estimate_table_sweeps_layouts():
    layouts = [{"num_gpus": 64, "tp": tp, "pp": pp, "gbs": 256, "sequence_parallel": tp > 1}
               for tp in (1, 2, 4, 8) for pp in (1, 2, 4)]
    rows = hp.estimate_table("gpt3/20b", layouts, "a100-80gb")
    assert len(rows) == 12
    assert {"tp", "dp", "fits", "reason", "memory.total_bytes", "time.bubble_s"} <= set(rows[0])
    fitting = [r for r in rows if r["fits"]]
    assert fitting and any(not r["fits"] for r in rows)
    best = min(fitting, key=lambda r: r["step_time_s"])
    assert best["tp"] > 1
    try:
        import pandas  # noqa: F401
    except ImportError:
        return
    assert len(hp.to_pandas(rows)) == 12
