"""Training HP search end to end: hp-cli search (JSON, files, exit codes) and bignlp_hp.search."""

import csv
import json
import os
import shutil
import subprocess

import pytest

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "search")
PLAN_KEYS = {"tp", "pp", "cp", "ep", "vp", "mbs", "gbs", "act_ckpt_layers",
             "num_micro_batches_with_partial_activation_checkpoints",
             "activations_checkpoint_layers_per_pipeline", "nodes", "config_name", "predicted_step_time_s"}


def hp_cli(*args):
    path = os.environ.get("HP_CLI") or shutil.which("hp-cli")
    assert path, "hp-cli not found: set HP_CLI or put it on PATH"
    return subprocess.run([path, *map(str, args)], capture_output=True, text=True, timeout=300)


def write_config(tmp_path, text, name="search.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_cli_model_policy_json_and_files(tmp_path):
    out = tmp_path / "res"
    proc = hp_cli("search", os.path.join(EXAMPLES, "gpt3_5b.yaml"), "--results-dir", out, "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["policy"] == "model"
    assert 0 < r["feasible"] <= r["evaluated"] <= r["enumerated"]
    assert r["elapsed_s"] >= 0
    plan = r["plan"]
    assert len(plan) == 10  # limit_search_runs
    for trial in plan:
        assert PLAN_KEYS <= set(trial)
        assert trial["full_nodes"] == 16 and 1 <= trial["nodes"] <= 16  # trial_nodes: min (the default)
        assert (out / "candidate_configs" / (trial["config_name"] + ".yaml")).is_file()
    times = [t["predicted_step_time_s"] for t in plan]
    assert times == sorted(times)  # launch order = predicted rank
    assert plan[0]["reason"] == "top"
    with open(out / "predicted_summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == r["feasible"]
    assert rows[0]["config_name"] == plan[0]["config_name"]
    assert [float(x["predicted_step_time_s"]) for x in rows] == sorted(float(x["predicted_step_time_s"]) for x in rows)
    assert sum(int(x["planned"]) for x in rows) == len(plan)
    with open(out / "infeasible_summary.csv") as f:
        reasons = list(csv.DictReader(f))
    assert sum(int(x["count"]) for x in reasons) == r["enumerated"] - r["feasible"]
    assert (out / "plan.yaml").is_file()


def test_candidate_config_carries_the_layout(tmp_path):
    yaml = pytest.importorskip("yaml")
    out = tmp_path / "res"
    r = json.loads(hp_cli("search", os.path.join(EXAMPLES, "gpt3_5b.yaml"), "--results-dir", out, "--json").stdout)
    for trial in r["plan"]:
        cfg = yaml.safe_load((out / "candidate_configs" / (trial["config_name"] + ".yaml")).read_text())
        m = cfg["model"]
        assert m["tensor_model_parallel_size"] == trial["tp"]
        assert m["pipeline_model_parallel_size"] == trial["pp"]
        assert m["micro_batch_size"] == trial["mbs"]
        assert m["global_batch_size"] == trial["gbs"]
        assert (m["virtual_pipeline_model_parallel_size"] or 1) == trial["vp"]
        assert cfg["trainer"]["num_nodes"] == trial["nodes"]
        assert cfg["trainer"]["max_steps"] == 50
        assert cfg["run"]["name"] == trial["config_name"]
    plan = yaml.safe_load((out / "plan.yaml").read_text())
    assert [t["config_name"] for t in plan["trials"]] == [t["config_name"] for t in r["plan"]]


def test_cli_nemo_policy_reproduces_nemo_grid(tmp_path):
    # NeMo's own gpt3/5b.yaml (family from the folder name): 12 candidates, mbs 3 and 6 dropped by the GBS rule.
    out = tmp_path / "res"
    proc = hp_cli("search", os.path.join(EXAMPLES, "gpt3", "5b.yaml"), "--policy", "nemo", "--results-dir", out,
                  "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["model"] == "gpt3_5b"
    names = [t["config_name"] for t in r["plan"]]
    assert len(names) == 12
    assert names[0] == "gpt3_5b_16nodes_tp_1_pp_1_cp_1_ep_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None"
    assert [t["mbs"] for t in r["plan"]] == [1] * 3 + [2] * 3 + [4] * 3 + [8] * 3
    assert {t["time_limit"] for t in r["plan"]} == {"0-0:20:00"}  # NeMo's own format
    assert all(t["act_ckpt_layers"] is None and t["vp"] == 1 for t in r["plan"])


def test_cli_nemo_policy_20_nodes_zero_candidates_and_fix(tmp_path):
    text = "model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 20\n  policy: nemo\n"
    cfg = write_config(tmp_path, text)
    proc = hp_cli("search", cfg, "--results-dir", tmp_path / "a")
    assert proc.returncode == 4
    assert "empty" in proc.stderr and "nemo_fix_bugs" in proc.stderr
    proc = hp_cli("search", cfg, "--results-dir", tmp_path / "b", "--nemo-fix-bugs", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["gbs"] % 160 == 0 and r["plan"]


def test_cli_no_feasible_layout(tmp_path):
    cfg = write_config(tmp_path, "model: gpt3\ntrain_settings:\n  model_size_in_b: 175\n  num_nodes: 1\n")
    out = tmp_path / "res"
    proc = hp_cli("search", cfg, "--results-dir", out)
    assert proc.returncode == 4
    assert "out of memory" in proc.stderr
    assert "nearest feasible change" in proc.stderr
    assert (out / "infeasible_summary.csv").is_file()
    assert not (out / "plan.yaml").exists()
    r = json.loads(hp_cli("search", cfg, "--no-write", "--json").stdout)
    assert r["feasible"] == 0 and r["plan"] == [] and r["suggestions"]


@pytest.mark.parametrize("line,key,value", [
    ("  tensor_paralel_sizes: [1, 2]", "train_settings.tensor_paralel_sizes", "[1, 2]"),
    ("  micro_batch_sizes: [1, 0]", "train_settings.micro_batch_sizes", "0"),
    ("  recompute_modes: [full, sometimes]", "train_settings.recompute_modes", "sometimes"),
    ("  policy: fastest", "train_settings.policy", "fastest"),
])
def test_cli_bad_input_names_key_and_value(tmp_path, line, key, value):
    cfg = write_config(tmp_path, "model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 16\n" + line + "\n")
    out = tmp_path / "res"
    proc = hp_cli("search", cfg, "--results-dir", out)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and value in proc.stderr
    assert not out.exists()  # no partial output


def test_cli_bad_option_value(tmp_path):
    out = tmp_path / "res"
    proc = hp_cli("search", os.path.join(EXAMPLES, "gpt3_5b.yaml"), "--policy", "fastest", "--results-dir", out)
    assert proc.returncode == 2
    assert "--policy" in proc.stderr and "fastest" in proc.stderr
    assert not out.exists()
    proc = hp_cli("search", os.path.join(EXAMPLES, "gpt3_5b.yaml"), "--executor", "cloud", "--results-dir", out)
    assert proc.returncode == 2 and "cloud" in proc.stderr


def test_python_search_dict_and_pandas(tmp_path):
    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 16, "limit_search_runs": 6,
                                               "micro_batch_sizes": [1, 2]}}
    r = bignlp_hp.search(cfg, results_dir=tmp_path / "res")
    assert r.policy == "model"
    assert len(r.plan) == 6
    assert {t["mbs"] for t in r.plan} <= {1, 2}
    assert PLAN_KEYS <= set(r.best)
    assert (tmp_path / "res" / "plan.yaml").is_file()
    pd = pytest.importorskip("pandas")
    df = r.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == r.feasible
    assert df["predicted_step_time_s"].is_monotonic_increasing
    assert df.iloc[0]["config_name"] == r.best["config_name"]


def test_python_search_errors(tmp_path):
    with pytest.raises(ValueError, match="train_settings.bogus"):
        bignlp_hp.search({"train_settings": {"num_nodes": 16, "bogus": 1}}, write_files=False)
    tiny = {"model": "gpt3", "train_settings": {"model_size_in_b": 175, "num_nodes": 1}}
    with pytest.raises(bignlp_hp.NoFeasibleLayoutError, match="out of memory"):
        bignlp_hp.search(tiny, write_files=False)
    r = bignlp_hp.search(tiny, write_files=False, raise_if_none=False)
    assert r.feasible == 0 and r.plan == [] and r.infeasible


def test_python_search_nemo_policy_path():
    r = bignlp_hp.search(os.path.join(EXAMPLES, "gpt3_5b_nemo.yaml"), write_files=False)
    assert r.policy == "nemo"
    assert len(r.plan) == 12


@pytest.mark.parametrize("name,code", [
    ("gpt3/5b.yaml", 0), ("gpt3_5b.yaml", 0), ("gpt3_5b_nemo.yaml", 0), ("gpt3_175b.yaml", 0), ("gpt3_1t.yaml", 0),
    ("gpt3_175b_one_node.yaml", 4), ("gpt3_175b_b200_precisions.yaml", 0),
])
def test_examples_run(name, code):
    proc = hp_cli("search", os.path.join(EXAMPLES, name), "--no-write", "--json")
    assert proc.returncode == code, proc.stderr
    r = json.loads(proc.stdout)
    assert r["enumerated"] > 0
    assert (len(r["plan"]) > 0) == (code == 0)
