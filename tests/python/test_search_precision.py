"""Precision as a search dimension end to end (issue 15): hp-cli search --precisions and train_settings.precisions
(plan, JSON, CSV, candidate YAML keys of each recipe, validity per GPU, exit codes) and bignlp_hp.search(precisions=)."""

import csv
import json
import os
import shutil
import subprocess

import pytest

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "search", "gpt3_5b.yaml")
# Megatron-Bridge's recipes in NeMo's keys: (fp8, fp8_e4m3, fp8_recipe, fp4, first/last layers in BF16).
RECIPES = {"bf16": (False, False, None, None, None), "fp8": (True, False, None, None, None),
           "fp8-cs": (True, False, "tensorwise", None, True), "mxfp8": (True, True, "mxfp8", None, None),
           "nvfp4": (False, False, None, "e2m1", None)}


def hp_cli(*args):
    path = os.environ.get("HP_CLI") or shutil.which("hp-cli")
    assert path, "hp-cli not found: set HP_CLI or put it on PATH"
    return subprocess.run([path, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_cli_precision_search_on_b200_writes_each_recipe(tmp_path):
    yaml = pytest.importorskip("yaml")
    out = tmp_path / "res"
    proc = hp_cli("search", EXAMPLE, "--gpu", "b200", "--precisions", "bf16,fp8,fp8-cs,mxfp8,nvfp4",
                  "--results-dir", out, "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    planned = {t["precision"] for t in r["plan"]}
    assert planned == set(RECIPES)  # "best of precision": each one asked for is measured
    for trial in r["plan"]:
        cfg = yaml.safe_load((out / "candidate_configs" / (trial["config_name"] + ".yaml")).read_text())
        m = cfg["model"]
        fp8, e4m3, recipe, fp4, edges = RECIPES[trial["precision"]]
        assert (m["fp8"], m["fp8_e4m3"], m.get("fp8_recipe"), m.get("fp4"), m.get("first_last_layers_bf16")) == \
            (fp8, e4m3, recipe, fp4, edges), trial["config_name"]
        assert m["fp8_hybrid"] == (not e4m3)
        tag = {"bf16": "", "fp8": "_fp8"}.get(trial["precision"], "_" + trial["precision"])
        assert trial["config_name"].endswith(tag)
        assert trial["fp8"] == (trial["precision"] != "bf16")  # "fp8": any low-precision GEMMs
    with open(out / "predicted_summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert {x["precision"] for x in rows} == set(RECIPES)
    plan = yaml.safe_load((out / "plan.yaml").read_text())
    assert [t["precision"] for t in plan["trials"]] == [t["precision"] for t in r["plan"]]


def test_cli_precisions_the_gpu_lacks_are_infeasible_with_a_reason(tmp_path):
    proc = hp_cli("search", EXAMPLE, "--gpu", "h100-sxm", "--precisions", "bf16,mxfp8,nvfp4", "--no-write", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert {t["precision"] for t in r["plan"]} == {"bf16"}
    reasons = {x["reason"]: x for x in r["infeasible"]}
    lacking = [x for reason, x in reasons.items() if "no tensor cores for this precision" in reason]
    assert lacking and "MXFP8 and NVFP4 Blackwell" in lacking[0]["reason"]
    # Nothing it can run: exit 4, and the nearest change is a precision it has.
    proc = hp_cli("search", EXAMPLE, "--precisions", "fp8-cs", "--no-write")  # the example's A100
    assert proc.returncode == 4
    assert "no tensor cores for this precision" in proc.stderr
    assert "nearest feasible change: precision bf16 (a100-80gb has no tensor cores" in proc.stderr


@pytest.mark.parametrize("args,words", [
    (["--precisions", "bf16,fp9"], ["--precisions=bf16,fp9", "accepted: bf16, fp8 (delayed scaling)", "nvfp4"]),
    (["--precisions", "bf16", "--policy", "nemo"], ["train_settings.precisions=bf16", "nemo policy"]),
])
def test_cli_precision_bad_input_exits_2(tmp_path, args, words):
    out = tmp_path / "res"
    proc = hp_cli("search", EXAMPLE, "--results-dir", out, *args)
    assert proc.returncode == 2, proc.stderr
    for w in words:
        assert w in proc.stderr
    assert not out.exists()  # nothing partial behind


def test_cli_precisions_key_in_the_file(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text("model: gpt3\ntrain_settings:\n  model_size_in_b: 5\n  num_nodes: 2\n  gpu: gb200\n"
                      "  gpus_per_node: 4\n  precisions: [mxfp8, nvfp4]\n")
    r = json.loads(hp_cli("search", config, "--no-write", "--json").stdout)
    assert {t["precision"] for t in r["plan"]} == {"mxfp8", "nvfp4"}
    config.write_text(config.read_text() + "  fp8: true\n")
    proc = hp_cli("search", config, "--no-write")
    assert proc.returncode == 2
    assert "train_settings.fp8=true: conflicts with train_settings.precisions" in proc.stderr
    # --precisions replaces both the file's list and its fp8: true.
    r = json.loads(hp_cli("search", config, "--precisions", "bf16", "--no-write", "--json").stdout)
    assert {t["precision"] for t in r["plan"]} == {"bf16"}


def test_python_precision_search():
    r = bignlp_hp.search(EXAMPLE, precisions=["bf16", "nvfp4"])  # the example's A100 has no FP4 tensor cores
    assert {t["precision"] for t in r.plan} == {"bf16"}
    assert any("no tensor cores" in x["reason"] for x in r.infeasible)
    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 2, "gpu": "b200"}}
    r = bignlp_hp.search(cfg, precisions=["fp8-cs", "nvfp4"])
    assert {t["precision"] for t in r.plan} == {"fp8-cs", "nvfp4"}
    assert set(r.rows()["precision"]) == {"fp8-cs", "nvfp4"}
    default = bignlp_hp.search(cfg)  # the base config's precision: BF16, numerics are the user's decision
    assert set(default.rows()["precision"]) == {"bf16"}
    with pytest.raises(ValueError, match="precisions=fp9: unknown precision"):
        bignlp_hp.search(cfg, precisions=["fp9"])
    for bad in ([8], "nvfp4"):
        with pytest.raises(TypeError, match="precisions"):
            bignlp_hp.search(cfg, precisions=bad)


def test_python_run_search_precisions(tmp_path):
    # run_search plans (and with executor "none" stops) with the same precisions keyword as search().
    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 2, "gpu": "b200"}}
    t = bignlp_hp.run_search(cfg, executor="none", results_dir=tmp_path / "res", precisions=["fp8-cs", "nvfp4"])
    names = [x["config_name"] for x in t.trials]
    assert names and all(n.endswith(("_fp8-cs", "_nvfp4")) for n in names), names
    assert any(n.endswith("_nvfp4") for n in names) and any(n.endswith("_fp8-cs") for n in names)
    with pytest.raises(ValueError, match="precisions=fp9: unknown precision"):
        bignlp_hp.run_search(cfg, executor="none", results_dir=tmp_path / "bad", precisions=["fp9"])
    assert not (tmp_path / "bad").exists()  # bad input writes nothing
