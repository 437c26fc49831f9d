"""hp-cli's answers in words (issue 16): the demo's search summary and its width, config overrides, the defaults
every command shares, and the messages of bad or unreachable inputs. Run through the real CLI (argument vectors)."""
import json
import os
import re
import shlex

import pytest

WIDTH = 120


def _lines_fit(text):
    wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not wide, f"{len(wide)} lines wider than {WIDTH} columns:\n" + "\n".join(wide)


def _demo_commands(repo_root):
    """The hp-cli commands of scripts/demo.sh, as argument vectors (read from the script, not copied)."""
    commands = []
    with open(os.path.join(repo_root, "scripts", "demo.sh")) as f:
        for line in f:
            words = shlex.split(line, comments=True)
            if words and words[0].endswith("hp-cli"):  # a command line that runs hp-cli (not an echo about it)
                commands.append(words[1:])
    return commands


def test_demo_output_fits_120_columns_and_names_the_best(cli, repo_root, tmp_path):
    commands = _demo_commands(repo_root)
    assert any(c and c[0] == "search" for c in commands), commands
    for args in commands:
        if "--results-dir" in args:
            args[args.index("--results-dir") + 1] = str(tmp_path / "demo")
        proc = cli.run(*args, cwd=repo_root, check=True)
        _lines_fit(proc.stdout)
        _lines_fit(proc.stderr)
        if args[0] == "search":
            out = proc.stdout
            assert re.search(r"^best: TP \d+, PP \d+, VP \d+, CP \d+, MBS \d+, .*recompute, SP o(n|ff), distributed "
                             r"optimizer o(n|ff)$", out, re.M), out
            assert re.search(r"predicted [\d.]+ s per step .* GiB per GPU of [\d.]+ GiB: [\d.]+ GiB headroom", out)
            assert "next: hp-cli search --resume " + str(tmp_path / "demo") in out


def test_search_summary_matches_the_plan_and_the_validated_error(cli, repo_root, tmp_path):
    cfg = os.path.join(repo_root, "examples", "search", "gpt3_5b.yaml")
    data = cli.json("search", cfg, "--no-write")
    text = cli.run("search", cfg, "--no-write", check=True).stdout
    summary = data["summary"]
    # The band is hp-cli validate's held-out row, not a constant.
    validate = cli.run("validate", check=True).stdout
    held_out = re.search(r"^holdout, dense, unflagged\s+(\d+)\s+([\d.]+)", validate, re.M)
    assert int(held_out.group(1)) == summary["error_band_runs"]
    assert summary["error_band"] * 100 == pytest.approx(float(held_out.group(2)), abs=0.01)
    pct = f"{summary['error_band'] * 100:.1f} %"
    assert f"ties: {summary['within_band']} of {data['feasible']} feasible layouts are predicted within {pct}" in text
    assert f"{summary['error_band_runs']} published runs" in text
    # The table is the plan, in launch order, with the planner's reason on each row.
    rows = [line.split() for line in text.splitlines() if re.match(r"^\s+\d+\s+(\d+|-)\s+\d+\.\d{4}\s", line)]
    assert len(rows) == len(data["plan"]) > 0
    for row, trial in zip(rows, data["plan"]):
        assert int(row[0]) == trial["index"] + 1
        assert float(row[2]) == pytest.approx(trial["predicted_step_time_s"], abs=5e-5)
        assert " ".join(row).endswith(trial["reason"])
    assert rows[0][3] == "=best"
    if summary["roomier"]:
        assert "more headroom within the band: " in text
    assert "nothing written (--no-write); next: " in text
    _lines_fit(text)


def test_search_overrides_nodes_gpu_gpus_per_node(cli, repo_root):
    cfg = os.path.join(repo_root, "examples", "search", "gpt3_5b.yaml")
    data = cli.json("search", cfg, "--no-write", "--nodes", "32", "--gpu", "h100-sxm", "--gpus-per-node", "8")
    assert (data["num_nodes"], data["gpus_per_node"], data["gpu"]) == (32, 8, "h100-sxm")
    assert all(t["full_nodes"] == 32 for t in data["plan"])
    assert not any(a.startswith("GPU ") for a in data["assumed"])  # named, so not assumed
    default = cli.json("search", cfg, "--no-write")
    assert default["gpu"] == "a100-80gb" and default["num_nodes"] == 16
    assert default["assumed"][0].startswith("GPU a100-80gb from train_settings.gpu_memory_gb 80")


@pytest.mark.parametrize("flag,value", [("--nodes", "0"), ("--nodes", "two"), ("--gpus-per-node", "-8"),
                                        ("--gpu", "tpu-v5"), ("--nodes", "1048576")])
def test_search_bad_override_exits_2_naming_flag_and_value(cli, repo_root, tmp_path, flag, value):
    cfg = os.path.join(repo_root, "examples", "search", "gpt3_5b.yaml")
    out = tmp_path / "res"
    proc = cli.run("search", cfg, "--results-dir", out, flag, value)
    assert proc.returncode == 2, proc.stderr
    assert f"{flag}={value}:" in proc.stderr
    assert not out.exists()  # nothing partial left behind


def test_estimate_and_search_agree_on_defaults(cli, repo_root):
    """The same layout gets the same answer from search and from estimate with no --gpu and no SP flag."""
    data = cli.json("search", os.path.join(repo_root, "examples", "search", "gpt3_5b.yaml"), "--no-write")
    checked = 0
    for t in data["plan"]:
        if t["recompute"] != "none" or t["cp"] != 1:
            continue
        est = cli.json("estimate", "--model", "gpt3/5b", "--gpus", data["num_nodes"] * data["gpus_per_node"],
                       "--gbs", t["full_gbs"], "--tp", t["tp"], "--pp", t["pp"], "--vp", t["vp"], "--mbs", t["mbs"])
        assert est["gpu"] == data["gpu"]
        assert est["sequence_parallel"] == t["sequence_parallel"] == (t["tp"] > 1)
        assert est["time.step_time_s"] == pytest.approx(t["predicted_step_time_s"], rel=1e-6)
        checked += 1
    assert checked >= 2
    text = cli.run("estimate", "--model", "gpt3/5b", "--gpus", 8, "--tp", 2, check=True).stdout
    assert "assumed --gpu a100-80gb" in text
    assert "assumed sequence parallel on (on when tp > 1" in text
    assert "| sp yes |" in text
    named = cli.run("estimate", "--model", "gpt3/5b", "--gpus", 8, "--tp", 2, "--gpu", "h100-sxm",
                    "--no-sequence-parallel", check=True).stdout
    assert "assumed" not in named and "| sp no |" in named


@pytest.mark.parametrize("command", ["estimate", "search", "recommend", "infer-search", "validate", "infer-validate",
                                     "infer-serving", "calibrate", "base-config", "parse-log", "collect"])
def test_help_shows_no_false_default_for_switches(cli, command):
    proc = cli.run(command, "--help")
    assert proc.returncode == 0
    assert "{false}" not in proc.stdout and "{true}" not in proc.stdout


def test_recommend_nodes_0_exits_2(cli):
    proc = cli.run("recommend", "--model", "gpt3", "--nodes", "0", "--days", "5")
    assert proc.returncode == 2
    assert "--nodes=0" in proc.stderr


def test_infer_search_unreachable_bound_names_the_lowest_latency(cli, repo_root, tmp_path):
    with open(os.path.join(repo_root, "examples", "inference", "gpt3_5b.yaml")) as f:
        text = f.read().replace("max_latency_ms: 1200", "max_latency_ms: 1")
    cfg = tmp_path / "search.yaml"
    cfg.write_text(text)
    proc = cli.run("infer-search", cfg, "--results-dir", tmp_path / "res")
    assert proc.returncode == 4, proc.stderr
    m = re.search(r"max_latency_ms=1: no layout is that fast; the lowest reachable latency is ([\d.]+) ms \(TP (\d+), "
                  r"PP (\d+), batch (\d+)", proc.stderr)
    assert m, proc.stderr
    # That bound is reachable: the same search with it ranks the layout named.
    cfg.write_text(re.sub(r"max_latency_ms: 1\b", f"max_latency_ms: {m.group(1)}", text))
    best = cli.json("infer-search", cfg, "--results-dir", tmp_path / "res2")["best"]
    assert best is not None and best["latency_ms"] <= float(m.group(1))


def test_validate_names_row_ids(cli):
    out = cli.run("validate", check=True).stdout
    assert "(rows " not in out
    assert re.search(r"predicted not to fit: \d+ of \d+ \(row_id \d+", out)
