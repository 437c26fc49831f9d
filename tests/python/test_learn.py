"""Learning from every trial (issue 13), end to end through hp-cli on the local executor: a stand-in trainer
(tests/fixtures/fake_trainer.py --standin, a TEST FIXTURE) whose activation memory is 2x the paper's runs the
plan; out-of-memory failures refit the memory model and drop the queued trials it no longer fits."""
import csv
import importlib.util
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fixtures", "fake_trainer.py")


def _standin():
    spec = importlib.util.spec_from_file_location("fake_trainer", FAKE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def standin_config(tmp_path, name="learn_standin.yaml", extra=""):
    text = open(os.path.join(ROOT, "tests", "data", "search", name)).read()
    text = text.replace("@FAKE_TRAINER@", FAKE).replace("@RESULTS@", str(tmp_path / "results"))
    text = text.replace("python3 ", sys.executable + " ", 1).replace("@PYTHON@", sys.executable)
    path = tmp_path / name
    path.write_text(text + extra)
    return path


def fewest_nodes(tp, pp, cp, gpus_per_node, full_nodes):
    """The trial-sizing rule as the docs state it: the fewest nodes holding whole replicas."""
    return next(n for n in range(1, full_nodes + 1) if (n * gpus_per_node) % (tp * pp * cp) == 0)


def standin_truth(results, gpus_per_node, full_nodes):
    """(true step time, name) of every ranked layout the stand-in runs without running out of memory on the
    nodes its trial gets (the stand-in's step time does not change with the number of replicas)."""
    fx = _standin()
    base = fx.config_values(str(next((results / "candidate_configs").iterdir())))
    truth = []
    with open(results / "predicted_summary.csv") as f:
        for row in csv.DictReader(f):
            tp, pp, cp = int(row["tp"]), int(row["pp"]), int(row["cp"])
            nodes = fewest_nodes(tp, pp, cp, gpus_per_node, full_nodes)
            dp_trial, dp_full = nodes * gpus_per_node // (tp * pp * cp), int(row["dp"])
            x = fx.standin_layout(base, nodes * gpus_per_node)
            x.update(tp=tp, pp=pp, cp=cp, mbs=int(row["mbs"]), gbs=int(row["gbs"]) * dp_trial // dp_full, dp=dp_trial,
                     full=row["recompute"] == "full", do=row["distributed_optimizer"] == "1")
            if fx.standin_memory_gib(x) <= 80:
                truth.append((fx.standin_step_time_s(x), row["config_name"]))
    return truth


def check_fewest_nodes_run(out, results, gpus_per_node=2, full_nodes=2):
    """Issue 13's checks on a run of learn_standin_2nodes.yaml (local executor or Slurm)."""
    trials = out["run"]["trials"]
    launched = [t for t in trials if t["state"] not in ("dropped", "queued")]
    assert len(launched) <= 6  # the plan's budget: replacements take dropped trials' slots
    oom = [t for t in trials if t["failure"] == "cuda_oom"]
    measured = [t for t in trials if t["step_time_s"] is not None and t["failure"] == "none"]
    assert len(oom) <= 2, [t["config_name"] for t in oom]
    assert len(measured) >= 3
    best_true = min(standin_truth(results, gpus_per_node, full_nodes))[0]
    assert min(t["step_time_s"] for t in measured) == best_true
    # Trials on fewer nodes than the cluster where the layout allows it, with the global batch scaled.
    import yaml
    smaller = 0
    for t in trials:
        cfg = yaml.safe_load(open(results / "candidate_configs" / (t["config_name"] + ".yaml")))
        m = cfg["model"]
        want = fewest_nodes(m["tensor_model_parallel_size"], m["pipeline_model_parallel_size"],
                            m.get("context_parallel_size") or 1, gpus_per_node, full_nodes)
        assert t["full_nodes"] == full_nodes
        assert t["nodes"] == cfg["trainer"]["num_nodes"] == want, t["config_name"]
        assert m["global_batch_size"] == 64 * want // full_nodes
        smaller += t["nodes"] < full_nodes
        if t["step_time_s"] is not None and t["nodes"] < full_nodes:
            # Measured on the trial's nodes; the full-scale time adds the model's scale terms (predicted).
            assert t["full_scale_step_time_s"] == pytest.approx(
                t["step_time_s"] - t["predicted_scale_terms_trial_s"] + t["predicted_scale_terms_full_s"], abs=1e-6)
    assert smaller >= 3
    # The summary says what is measured and what predicted, and what the trials cost.
    rows = list(csv.DictReader(open(results / "final_result" / f"final_summary_{full_nodes}nodes.csv")))
    assert rows and {r["Nodes"] for r in rows} == {str(full_nodes)}
    assert any(r["Time per Step Source"].startswith("measured on 1 nodes + predicted") for r in rows)
    assert "GPU-hours:" in out["run"]["message"]
    assert 0 < out["run"]["gpu_hours"] < out["run"]["full_size_gpu_hours"]
    gpu_hours = list(csv.DictReader(open(results / "final_result" / "gpu_hours.csv")))[0]
    assert 0 < float(gpu_hours["gpu_hours"]) < float(gpu_hours["full_size_gpu_hours"])
    optimal = yaml.safe_load(open(results / "final_result" / f"optimal_config_1.3b_{full_nodes}nodes.yaml"))
    assert optimal["trainer"]["num_nodes"] == full_nodes and optimal["model"]["global_batch_size"] == 64
    # A trial dropped by the memory refit is replaced, and the replacement says which one it replaces.
    dropped = [t for t in trials if t["state"] == "dropped" and "memory" in t["note"]]
    replacements = [t for t in trials if t["reason"].startswith("replaces an OOM (")]
    assert len(replacements) == len(dropped) >= 1
    def short(name):  # the live table's trial name: no "<model>_<size>_<N>nodes_" prefix, no unset NeMo fields
        s = name.split("nodes_", 1)[1]
        for unset in ("_num_mbs_act_None", "_act_per_pipe_None"):
            s = s.replace(unset, "", 1)
        return s
    assert {r["reason"][len("replaces an OOM ("):-1] for r in replacements} == {short(t["config_name"]) for t in dropped}
    for r in replacements:  # the summary names each replacement and what it replaces
        assert f"{short(r['config_name'])}: {r['reason']}" in out["run"]["message"]
    return trials


def test_standin_search_learns_from_out_of_memory(cli, tmp_path):
    cfg = standin_config(tmp_path)
    p = cli.run("search", cfg, "--executor", "local", "--json")
    assert p.returncode == 0, p.stderr
    import json
    out = json.loads(p.stdout)
    trials = out["run"]["trials"]
    assert len(trials) == 6
    oom = [t for t in trials if t["failure"] == "cuda_oom"]
    measured = [t for t in trials if t["step_time_s"] is not None and t["failure"] == "none"]
    dropped = [t for t in trials if t["state"] == "dropped"]
    assert len(oom) <= 2, [t["config_name"] for t in oom]
    assert len(measured) >= 3
    assert all(t["note"] for t in dropped)  # each says why
    assert {t["reason"] for t in trials} <= {"top", "best of tp x pp", "explore"}
    assert trials[0]["reason"] == "top"
    # The stand-in's true best among the searched layouts that fit its memory rule.
    fx = _standin()
    results = tmp_path / "results"
    any_cfg = next((results / "candidate_configs").iterdir())
    base = fx.config_values(str(any_cfg))
    truth = []
    with open(results / "predicted_summary.csv") as f:
        for row in csv.DictReader(f):
            x = fx.standin_layout(base, 8)
            x.update(tp=int(row["tp"]), pp=int(row["pp"]), cp=int(row["cp"]), mbs=int(row["mbs"]),
                     gbs=int(row["gbs"]), dp=int(row["dp"]), full=row["recompute"] == "full",
                     do=row["distributed_optimizer"] == "1")
            if fx.standin_memory_gib(x) <= 80:
                truth.append((fx.standin_step_time_s(x), row["config_name"]))
    best_true = min(truth)[0]
    best_measured = min(t["step_time_s"] for t in measured)
    assert best_measured == best_true
    # The summary says what was not run and why.
    for t in dropped:
        assert t["note"] in out["run"]["message"]


def test_standin_search_runs_trials_on_the_fewest_nodes(cli, tmp_path):
    cfg = standin_config(tmp_path, "learn_standin_2nodes.yaml")
    p = cli.run("search", cfg, "--executor", "local", "--json")
    assert p.returncode == 0, p.stderr
    check_fewest_nodes_run(json.loads(p.stdout), tmp_path / "results")
    # The live table says which trial replaces which, and which part is measured.
    p = cli.run("search", "--resume", tmp_path / "results", "--executor", "local")
    assert "replaces an OOM" in p.stderr and "nodes: trial/full" in p.stderr


def test_trial_nodes_python_end_to_end_and_full(tmp_path):
    import bignlp_hp
    cfg = standin_config(tmp_path, "learn_standin_2nodes.yaml")
    res = bignlp_hp.run_search(cfg, executor="local", trial_nodes="min")
    assert res.num_measured >= 3
    assert 0 < res.gpu_hours < res.full_size_gpu_hours
    assert {t["nodes"] for t in res.trials} == {1, 2}
    full = bignlp_hp.search(cfg, trial_nodes="full", results_dir=tmp_path / "full")
    assert full.trial_nodes == "full" and {t["nodes"] for t in full.plan} == {2}
    assert full.gpu_hours == pytest.approx(full.full_size_gpu_hours)
    assert all(t["gbs"] == t["full_gbs"] == 64 for t in full.plan)
    small = bignlp_hp.search(cfg, results_dir=tmp_path / "min", write_files=False)
    assert small.trial_nodes == "min" and small.gpu_hours < small.full_size_gpu_hours
    nemo = bignlp_hp.search(cfg, policy="nemo", results_dir=tmp_path / "nemo", write_files=False, raise_if_none=False)
    assert nemo.trial_nodes == "full" and all(t["nodes"] == 2 for t in nemo.plan)  # NeMo's behaviour
    with pytest.raises(ValueError, match="trial_nodes.*fewest"):
        bignlp_hp.search(cfg, trial_nodes="fewest", write_files=False)


def test_trial_nodes_bad_value_exits_2_naming_key_and_value(cli, tmp_path):
    cfg = standin_config(tmp_path, "learn_standin_2nodes.yaml")
    p = cli.run("search", cfg, "--trial-nodes", "half", "--results-dir", tmp_path / "a")
    assert p.returncode == 2 and "--trial-nodes" in p.stderr and "half" in p.stderr
    assert not (tmp_path / "a").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text(cfg.read_text().replace("  num_nodes: 2\n", "  num_nodes: 2\n  trial_nodes: most\n"))
    p = cli.run("search", bad, "--results-dir", tmp_path / "b")
    assert p.returncode == 2 and "train_settings.trial_nodes" in p.stderr and "most" in p.stderr
    assert not (tmp_path / "b").exists()
    p = cli.run("search", cfg, "--trial-nodes", "full", "--results-dir", tmp_path / "c", "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["trial_nodes"] == "full" and {t["nodes"] for t in r["plan"]} == {2}
    assert r["gpu_hours"] == pytest.approx(sum(2 * 2 * 10 / 60 for _ in r["plan"]))
