"""Bad input through hp-cli and the Python API (issue 12): the documented exit code (2 bad input, 3 unreadable
file) or a ValueError/TypeError subclass, a message naming the key and the value, nothing written, no hang."""
import math
import os
import re

import pytest

import bignlp_hp as hp

BAD_NUMBERS = ["0", "-1", "nan", "inf", "-inf", "1e308"]
NUMBER_RE = re.compile(r"(^|[\s:=,\[(])(-[0-9]|[-+]?(nan|inf)\b|\.nan|\.inf)", re.IGNORECASE)


def no_bad_numbers(text):
    """No negative or non-finite number in a written file (a '-' inside a word or a date is not a number)."""
    return NUMBER_RE.search(text) is None


def nemo_config(tmp_path, **overrides):
    out = tmp_path / "base.yaml"
    hp.base_config(model="gpt3", size_b=5, output=str(out))
    text = out.read_text()
    for key, value in overrides.items():
        text, n = re.subn(rf"(\n\s+{key}:) \S+", rf"\1 {value}", text, count=1)
        assert n == 1, key
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("key,value", [("tensor_model_parallel_size", 0), ("pipeline_model_parallel_size", 0),
                                       ("micro_batch_size", 0), ("num_nodes", 0), ("devices", -1),
                                       ("pipeline_model_parallel_size", 1000000000)])
def test_estimate_nemo_config_zero_sizes_exit_2(cli, tmp_path, key, value):
    p = cli.run("estimate", "--nemo-config", nemo_config(tmp_path, **{key: value}), timeout=60)
    assert p.returncode == 2, p.stderr
    assert key in p.stderr and f"={value}:" in p.stderr


@pytest.mark.parametrize("field", ["tp", "pp", "cp", "mbs", "num_gpus", "gbs"])
@pytest.mark.parametrize("value", [0, -1, 2**31 - 1])
def test_estimate_table_bad_layout_is_a_reason_not_a_crash(field, value):
    rows = hp.estimate_table("gpt3/5b", [{"num_gpus": 8, field: value}], "h100-sxm")
    assert rows[0]["reason"] and rows[0]["fits"] is False
    assert rows[0]["dp"] >= 0


def test_python_argument_types_and_values():
    with pytest.raises(hp.ConfigError, match="calibration=5"):
        hp.estimate("gpt3/5b", {"num_gpus": 8}, "h100-sxm", calibration=5)
    for margin in (math.nan, math.inf, -2.0):
        with pytest.raises(ValueError, match="memory_margin"):
            hp.estimate("gpt3/5b", {"num_gpus": 8}, "h100-sxm", memory_margin=margin)
    with pytest.raises(hp.ConfigError, match="nodes=0"):
        hp.recommend_model_size(nodes=0)
    for days in (math.nan, math.inf, 0.0, -1.0):
        with pytest.raises(ValueError, match="max_training_days"):
            hp.base_config(model="gpt3", size_b=5, days=days)
    with pytest.raises(ValueError, match="num_tokens_in_b"):
        hp.base_config(model="gpt3", size_b=5, tokens_b=1e30)


def test_python_binary_measurements_are_a_config_error(tmp_path):
    data = tmp_path / "m.csv"
    data.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe,\n1,2\n")
    with pytest.raises(hp.ConfigError, match="not UTF-8 text"):
        hp.validate_inference(data=str(data))


@pytest.mark.parametrize("args,key", [
    (["base-config", "--size-b", "5", "--days", "inf"], "max_training_days"),
    (["base-config", "--size-b", "5", "--days", "nan"], "max_training_days"),
    (["base-config", "--size-b", "5", "--days", "-1"], "max_training_days"),
    (["base-config", "--size-b", "5", "--tokens-b", "1e30"], "num_tokens_in_b"),
    (["base-config", "--size-b", "nan"], "model_size_in_b"),
    (["base-config", "--size-b", "5", "--nodes", "0"], "num_nodes"),
    (["base-config", "--size-b", "5", "--nodes", "2000000000", "--gpus-per-node", "8"], "num_nodes"),
    (["recommend", "--nodes", "0"], "--nodes"),
    (["recommend", "--days", "inf"], "max_training_days"),
    (["recommend", "--gpus", "-8"], "num_gpus"),
    (["recommend", "--tokens-b", "0"], "num_tokens_in_b"),
    (["estimate", "--model", "gpt3/5b", "--memory-margin", "nan"], "--memory-margin"),
    (["estimate", "--num-layers", "-1", "--hidden-size", "1024", "--num-attention-heads", "8"], "--num-layers"),
    (["estimate", "--model", "gpt3/5b", "--seq-length", "-5"], "--seq-length"),
    (["estimate", "--model", "gpt3/5b", "--hidden-size", "2000000000"], "hidden_size"),
    (["estimate", "--model", "gpt3/5b", "--tp", "0"], "tp"),
    (["estimate", "--model", "gpt3/5b", "--gpus", "2147483647", "--tp", "65536", "--pp", "65536"], "num_gpus"),
])
def test_cli_bad_numbers_exit_2_and_write_nothing(cli, tmp_path, args, key):
    p = cli.run(*args, cwd=tmp_path, timeout=60)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert key in p.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_base_config_accepted_extremes_write_only_finite_non_negative_numbers(cli, tmp_path):
    for days, tokens in (("3650", "1e9"), ("1e-6", "1e-6"), ("0.5", "300")):
        out = tmp_path / f"c_{days}.yaml"
        cli.run("base-config", "--size-b", "5", "--days", days, "--tokens-b", tokens, "-o", out, check=True)
        assert no_bad_numbers(out.read_text()), out.read_text()


def test_cli_unreadable_inputs_exit_3(cli, tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    for args in (["estimate", "--model", "gpt3/5b", "--gpu-file", d], ["estimate", "--model", "gpt3/5b", "--calibration", d],
                 ["estimate", "--nemo-config", d], ["parse-log", d], ["calibrate", d], ["search", d, "--no-write"],
                 ["estimate", "--nemo-config", tmp_path / "missing.yaml"]):
        p = cli.run(*args, timeout=60)
        assert p.returncode == 3, (args, p.stderr)
        assert str(d) in p.stderr or "missing.yaml" in p.stderr
    if os.path.exists("/dev/zero"):
        p = cli.run("estimate", "--nemo-config", "/dev/zero", timeout=60)
        assert p.returncode == 3 and "limit" in p.stderr


def test_cli_calibrate_binary_csv_exit_2_writes_nothing(cli, tmp_path):
    data = tmp_path / "runs.csv"
    data.write_bytes(os.urandom(64) + b"\x00")
    out = tmp_path / "cal.yaml"
    p = cli.run("calibrate", data, "-o", out, timeout=60)
    assert p.returncode == 2 and "not UTF-8 text" in p.stderr
    assert not out.exists()
    data.write_text("a,b\n1,2\n")
    p = cli.run("calibrate", data, "-o", out, timeout=60)
    assert p.returncode == 2 and "usable" in p.stderr
    assert not out.exists()


def test_cli_calibration_with_nan_is_rejected(cli, tmp_path):
    cal = tmp_path / "cal.yaml"
    for v in (".nan", ".inf", "-1"):
        cal.write_text(f"calibrations:\n  - gpu_family: hopper\n    gemm_efficiency: {v}\n")
        p = cli.run("estimate", "--model", "gpt3/5b", "--calibration", cal, timeout=60)
        assert p.returncode == 2 and "gemm_efficiency" in p.stderr, p.stderr


@pytest.mark.parametrize("value", [".inf", ".nan", "-1"])
def test_infer_search_non_finite_latency_bound_exit_2(cli, tmp_path, value):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(f"model: gpt3\ninference_settings:\n  model: gpt3/5b\n  max_latency_ms: {value}\n")
    p = cli.run("infer-search", cfg, "--results-dir", tmp_path / "out", timeout=60)
    assert p.returncode == 2 and "max_latency_ms" in p.stderr, p.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="max_latency_ms"):
        hp.inference_search(model="gpt3/5b", max_latency_ms=math.inf, write=False)


def test_cli_messages_name_directory_and_format(cli, tmp_path):
    p = cli.run("estimate", "--nemo-config", tmp_path, timeout=60)
    assert p.returncode == 3 and "is a directory" in p.stderr
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a scalar\n")
    p = cli.run("estimate", "--nemo-config", scalar, timeout=60)
    assert p.returncode == 2 and "expected a YAML mapping" in p.stderr and "internal" not in p.stderr


def test_tensorboard_nan_negative_zero_step_times_are_dropped(repo_root, cli):
    path = os.path.join(repo_root, "tests", "data", "logs", "events.out.tfevents.1700000001.seed_bad_values.1.0")
    log = hp.parse_log(path)
    assert log["step_times_s"] == [2.0] * 7
    p = cli.run("parse-log", path, "--json", check=True)
    assert "nan" not in p.stdout.lower() and "-1" not in p.stdout


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fixtures", "fake_trainer.py")


def fake_search(tmp_path, extra=""):
    text = open(os.path.join(ROOT, "tests", "data", "search", "local_fake.yaml")).read()
    text = text.replace("@FAKE_TRAINER@", FAKE).replace("@RESULTS@", str(tmp_path / "results")) + extra
    path = tmp_path / "search.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("extra,replace,key", [
    ('cluster:\n  sbatch_args: ["--exclusive\\ntouch /tmp/x"]\n', None, "cluster.sbatch_args"),
    ("cluster:\n  gpus_per_node: false\n", None, "cluster.gpus_per_node"),
    ("", ("time_limit_s: 2", "time_limit_s: -5"), "executor.time_limit_s"),
])
def test_search_bad_executor_settings_exit_2_leave_nothing(cli, tmp_path, extra, replace, key):
    cfg = fake_search(tmp_path, extra)
    if replace:
        cfg.write_text(cfg.read_text().replace(*replace))
    p = cli.run("search", cfg, "--executor", "slurm", timeout=120)
    assert p.returncode == 2, p.stderr
    assert key in p.stderr
    assert not (tmp_path / "results").exists()


def test_slurm_percent_in_results_dir_leaves_nothing(cli, tmp_path):
    cfg = fake_search(tmp_path)
    out = tmp_path / "res%j"
    p = cli.run("search", cfg, "--executor", "slurm", "--results-dir", out, timeout=120)
    assert p.returncode == 2 and "'%'" in p.stderr, p.stderr
    assert not out.exists()


def test_second_search_into_results_is_refused_without_force(cli, tmp_path):
    cfg = fake_search(tmp_path)
    cli.run("search", cfg, check=True, timeout=120)
    before = sorted(str(p) for p in (tmp_path / "results").rglob("*"))
    p = cli.run("search", cfg, timeout=120)
    assert p.returncode == 2 and "--resume" in p.stderr and "--force" in p.stderr
    assert sorted(str(p) for p in (tmp_path / "results").rglob("*")) == before
    (tmp_path / "results" / "mine.txt").write_text("user file\n")
    cli.run("search", cfg, "--force", check=True, timeout=120)
    assert (tmp_path / "results" / "mine.txt").read_text() == "user file\n"
    with pytest.raises(hp.ConfigError, match="force"):
        hp.search(str(cfg), write_files=True)  # into train_settings.logs, as hp-cli
    hp.search(str(cfg), write_files=True, force=True)


def test_collect_on_a_foreign_directory_writes_nothing(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    p = cli.run("collect", tmp_path, timeout=60)
    assert p.returncode == 2 and "not a search results directory" in p.stderr
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_run_state_paths_are_absolute_and_resume_works_from_elsewhere(cli, tmp_path):
    cfg = fake_search(tmp_path)
    cfg.write_text(cfg.read_text().replace(str(tmp_path / "results"), "rel_results"))
    cli.run("search", cfg, "--executor", "none", cwd=tmp_path, check=True, timeout=120)
    state = (tmp_path / "rel_results" / "run_state.yaml").read_text()
    paths = re.findall(r"config_path: (\S+)", state)
    assert paths and all(os.path.isabs(p) for p in paths)


class NonePollExecutor(hp.Executor):
    def name(self):
        return "none-poll"

    def submit(self, request):
        return "job-1"

    def poll(self, job_id):
        return None

    def cancel(self, job_id):
        pass


def test_python_executor_poll_returning_none_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"Executor\.poll=None: expected a bignlp_hp\.JobStatus"):
        hp.run_search(str(fake_search(tmp_path)), executor=NonePollExecutor())
