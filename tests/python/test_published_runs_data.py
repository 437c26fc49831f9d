"""The project's measured training runs (libhp/data): provenance of every row, the odd/even split, issue 15's
excluded sources, and that the shipped calibration is exactly what `hp-cli calibrate` refits from the file."""
import csv
import os
import re

DATA = os.path.join("libhp", "data")


def _rows(repo_root, name):
    with open(os.path.join(repo_root, DATA, name), newline="") as f:
        return list(csv.DictReader(f))


def test_every_row_names_its_source_and_the_source_is_documented(repo_root):
    readme = open(os.path.join(repo_root, DATA, "README.md")).read()
    rows = _rows(repo_root, "published_runs.csv")
    assert len(rows) >= 323
    ids = [r["row_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for r in rows:
        for key in ("source_key", "source_location", "source_version"):
            assert r[key].strip(), f"row {r['row_id']}: empty {key}"
        assert f"| {r['source_key']} |" in readme, f"row {r['row_id']}: source_key {r['source_key']} not in README"
        # The split is decided by the row id alone (odd -> fit, even -> holdout), never by a prediction.
        assert r["split"] == ("fit" if int(r["row_id"]) % 2 else "holdout"), r["row_id"]


def test_added_rows_are_the_transcribed_file_and_name_derived_values(repo_root):
    added = {r["row_id"]: r for r in _rows(repo_root, "added_runs.csv")}
    assert len(added) >= 30
    shipped = {r["row_id"]: r for r in _rows(repo_root, "published_runs.csv")}
    for rid, a in added.items():
        assert int(rid) >= 1001
        s = shipped[rid]
        for key in ("source_key", "source_location", "source_version", "model", "gpu_type", "num_gpus", "tp", "pp",
                    "vp", "cp", "ep", "mbs", "gbs", "precision", "tokens_per_sec_per_gpu", "step_time_s"):
            assert s[key] == a[key], f"row {rid}: {key}"
        assert a["tokens_per_sec_per_gpu"] or a["step_time_s"], f"row {rid}: no measured throughput"
    # The Mixtral 8x22B rows correct the pages' swapped GBS/MBS; the correction is named, not silent.
    for rid in ("1028", "1030"):
        assert (added[rid]["gbs"], added[rid]["mbs"]) == ("64", "1")
        assert added[rid]["derived_fields"].startswith("gbs, mbs")


def test_recipe_memory_features_are_named_where_they_are_used(repo_root):
    # The Nemotron-4 340B recipes of dgxc-benchmarking v24.11.1 and the NeMo 24.07 period, and the launcher's SFT
    # config of that period, keep Adam's state in bf16 (Apex DistributedFusedAdam, optim.dtype bf16): 6 B per
    # parameter, derived and named, nowhere else.
    rows = _rows(repo_root, "published_runs.csv")
    six = {r["row_id"] for r in rows if r["optimizer_state_bytes"]}
    assert six == {"41", "44", "45", "46"} | {str(i) for i in range(431, 441)}
    for r in rows:
        if r["row_id"] in six:
            assert r["optimizer_state_bytes"] == "6"
            assert "optimizer_state_bytes (optim distributed_fused_adam with dtype bf16" in r["derived_fields"]
    vp = {r["row_id"]: r["vp"] for r in rows if "examples/peft/llama/h100" in r["derived_fields"]}
    assert vp == {"45": "10", "46": "20"}


def test_issue15_out_of_sample_sources_are_not_in_the_project(repo_root):
    # Megatron-Bridge performance pages (NeMo 25.09 and later), NeMo's long-sequence tables and the DeepSeek-V3
    # report are issue 15's out-of-sample check: no row may come from them.
    assert not os.path.exists(os.path.join(repo_root, DATA, "external_runs.csv"))
    banned = re.compile(r"megatron[-_ ]?bridge|long[-_ ]sequence|2412\.19437|NeMo 25\.(09|1\d)|NeMo 2[6-9]\.", re.I)
    for name in ("published_runs.csv", "added_runs.csv"):
        for r in _rows(repo_root, name):
            text = " ".join((r["source_key"], r["source_location"], r["source_version"]))
            assert not banned.search(text), f"{name} row {r['row_id']}: {text}"
        for r in _rows(repo_root, name):
            if r["source_key"].startswith("nemo_perf_"):
                major, minor = int(r["source_key"][10:12]), int(r["source_key"][12:14])
                assert (major, minor) <= (25, 7), r["row_id"]


def test_shipped_calibration_is_the_refit_of_the_project_file(cli, repo_root, tmp_path):
    out = tmp_path / "calibration_table.cpp"
    cli.run("calibrate", os.path.join(repo_root, DATA, "published_runs.csv"), "--cpp", out, check=True)
    shipped = open(os.path.join(repo_root, "libhp", "src", "calibration_table.cpp")).read()
    assert out.read_text() == shipped
