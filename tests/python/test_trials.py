"""Trials from Python and the CLI: parse_log, a Python subclass of Executor, run_search / resume / collect,
and hp-cli search --executor local killed with SIGKILL then --resume."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGS = os.path.join(ROOT, "tests", "data", "logs")
FAKE = os.path.join(ROOT, "tests", "fixtures", "fake_trainer.py")


def fake_config(tmp_path, extra_trainer_args="", max_concurrent=2, time_limit_s=2):
    text = open(os.path.join(ROOT, "tests", "data", "search", "local_fake.yaml")).read()
    text = text.replace("@FAKE_TRAINER@", FAKE).replace("@RESULTS@", str(tmp_path / "results"))
    text = text.replace("--max-steps {max_steps}", "--max-steps {max_steps} " + extra_trainer_args)
    text = text.replace("max_concurrent: 2", f"max_concurrent: {max_concurrent}")
    text = text.replace("time_limit_s: 2", f"time_limit_s: {time_limit_s}")
    path = tmp_path / "search.yaml"
    path.write_text(text)
    return path


def test_parse_log_formats_and_failures():
    mega = bignlp_hp.parse_log(os.path.join(LOGS, "megatron_iters.out"))
    assert mega["format"] == "megatron"
    assert mega["iterations"][:2] == [1, 2]
    assert mega["step_times_s"][1] == pytest.approx(1.3024)
    assert mega["memory"][0]["max_allocated_bytes"] == pytest.approx(50664.2548828125 * 2**20)
    oom = bignlp_hp.parse_log(os.path.join(LOGS, "oom.err"))
    assert oom["failure"] == "cuda_oom" and "CUDA out of memory" in oom["evidence"]
    assert oom["step_time_s"] is None
    with pytest.raises(bignlp_hp.IoError):
        bignlp_hp.parse_log(os.path.join(LOGS, "missing.out"))


def test_cli_parse_log_json(cli):
    r = cli.json("parse-log", os.path.join(LOGS, "nemo1_progress.out"))
    assert r["format"] == "nemo"
    assert len(r["step_times_s"]) == len(r["iterations"]) == 10
    assert r["failure"] == "none" and r["evidence"] == ""
    r = cli.json("parse-log", os.path.join(LOGS, "nccl_timeout.err"), os.path.join(LOGS, "node_fail.out"))
    assert [x["failure"] for x in r["logs"]] == ["nccl_timeout", "slurm_node_fail"]
    proc = cli.run("parse-log", os.path.join(LOGS, "nope.out"))
    assert proc.returncode == 3 and "nope.out" in proc.stderr


class InstantExecutor(bignlp_hp.Executor):
    """Runs nothing: each 'job' writes a NeMo-style log with step time 1 + tp / 10 at submit."""

    def __init__(self):
        super().__init__()
        self.requests = []

    def name(self):
        return "instant"

    def submit(self, request):
        self.requests.append((request.name, list(request.argv), request.num_nodes, request.time_limit_s))
        tp = 2 if "_tp_2_" in request.name else 1
        with open(request.stdout_path, "w") as f:
            for i in range(8):
                f.write(f"Training epoch 0, iteration {i}/7 | global_step: {i} | train_step_timing in s: {1 + tp / 10}\n")
        return f"py-{len(self.requests)}"

    def poll(self, job_id):
        return bignlp_hp.JobStatus("completed", scheduler_state="DONE")

    def cancel(self, job_id):
        pass


def test_python_executor_subclass(tmp_path):
    ex = InstantExecutor()
    res = bignlp_hp.run_search(fake_config(tmp_path), executor=ex)
    assert len(ex.requests) == 6
    name, argv, nodes, limit = ex.requests[0]
    assert argv[0] == "python3" and argv[1] == FAKE and "--config-path" in argv
    assert nodes == 1 and limit == 2
    assert res.num_measured == 6 and res.num_failed == 0
    best = min((t for t in res.trials), key=lambda t: t["step_time_s"])
    assert best["step_time_s"] == pytest.approx(1.1)
    assert any(f.endswith("optimal_config_0.126b_1nodes.yaml") for f in res.files)
    col = bignlp_hp.collect(tmp_path / "results")
    assert col.rows["step_time_s"].count(pytest.approx(1.1)) == 3


def test_run_search_local_and_collect(tmp_path):
    res = bignlp_hp.run_search(fake_config(tmp_path), executor="local")
    by_failure = sorted(t["failure"] for t in res.trials)
    assert by_failure == ["cuda_oom", "none", "none", "none", "nonzero_exit", "time_limit"]
    col = bignlp_hp.collect(tmp_path / "results")
    assert col.num_measured == 3 and col.num_failed == 3
    try:
        import pandas  # noqa: F401
    except ImportError:
        return
    df = col.to_pandas()
    assert list(df.sort_values("step_time_s")["mbs"])[0] == 2
    # typed, nullable: a failed trial has no step time (<NA>), measured is a boolean column
    assert str(df["measured"].dtype) == "boolean" and str(df["step_time_s"].dtype) == "Float64"
    assert int(df["step_time_s"].isna().sum()) == 3 and str(df["tp"].dtype) == "Int64"
    assert repr(col) == f"<TrialResults {tmp_path / 'results'}: 6 trials, 3 measured, 3 failed>"
    assert "<th>step_time_s</th>" in col._repr_html_()
    trials = res.to_pandas()
    assert len(trials) == 6 and str(trials["exit_code"].dtype) == "Int64"


def test_cli_kill_9_then_resume(cli, tmp_path):
    # one trial at a time, each ~0.9 s of (fake) steps: kill -9 hp-cli after the first trial finished
    cfg = fake_config(tmp_path, "--sleep-per-step 0.1", max_concurrent=1, time_limit_s=3)
    results = tmp_path / "results"
    proc = subprocess.Popen([cli.path, "search", str(cfg), "--executor", "local"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    journal = results / "journal.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if journal.exists() and journal.read_text().count('"finished"') >= 1:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = [json.loads(line) for line in journal.read_text().splitlines() if line.endswith("}")]
    finished_before = {e["trial"] for e in before if e["event"] == "finished"}
    assert finished_before and len(finished_before) < 6

    r = cli.run("search", "--resume", results, "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["run"]["num_measured"] == 3 and out["run"]["num_failed"] == 3
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    submitted = [e["trial"] for e in events if e["event"] == "submitted"]
    # finished trials were not run again; every trial finished exactly once
    for name in finished_before:
        assert submitted.count(name) == 1
    finished = [e["trial"] for e in events if e["event"] == "finished"]
    assert sorted(finished) == sorted(set(finished)) and len(finished) == 6
    assert (results / "final_result" / "final_summary_1nodes.csv").exists()


def test_cli_collect_every_trial_failed(cli, tmp_path):
    cfg = fake_config(tmp_path, "--behave gpt3=crash")
    r = cli.run("search", cfg, "--executor", "local")
    assert r.returncode == 7  # every trial failed
    assert "every trial failed" in r.stdout
    r = cli.run("collect", tmp_path / "results", "--json")
    assert r.returncode == 7
    out = json.loads(r.stdout)
    assert out["num_measured"] == 0 and out["num_failed"] == 6
    assert not (tmp_path / "results" / "final_result" / "optimal_config_0.126b_1nodes.yaml").exists()
    failed = (tmp_path / "results" / "final_result" / "failed_jobs_1nodes.csv").read_text().splitlines()
    assert len(failed) == 7 and failed[0].startswith("Model Name,Model Size")
    assert cli.run("collect", tmp_path / "nothing").returncode == 3


def test_metacharacters_in_config_values_stay_data(cli, tmp_path):
    marker = tmp_path / "pwned"
    cfg = fake_config(tmp_path, f'--behave "$(touch {marker})=ok" --behave "; touch {marker}=ok" --behave \'`touch {marker}`=ok\'')
    r = cli.run("search", cfg, "--executor", "local", "--json")
    out = json.loads(r.stdout)
    assert out["run"]["num_measured"] == 3
    assert not marker.exists()
    # the none executor's sbatch scripts carry the same words single-quoted
    r = cli.run("search", cfg, "--results-dir", tmp_path / "planned")
    assert r.returncode == 0, r.stderr
    script = next((tmp_path / "planned" / "training_logs").glob("*/launch_*.sh")).read_text()
    assert f"'$(touch {marker})=ok'" in script and f"'; touch {marker}=ok'" in script
    assert not marker.exists()
