#!/usr/bin/env python3
"""Benchmark (not a test): how many trials the search needs to land within 3 % of the true best layout, the
model policy against NeMo's, over a set of stand-in "true" step-time functions.

Each function is the fake trainer's stand-in (tests/fixtures/fake_trainer.py --standin, a TEST FIXTURE) with
its own TP cost, micro-batch efficiency and pipeline-bubble weight; its memory rule (2x the paper's activations)
makes the largest micro-batches run out of memory. Both policies search GPT-3 5B on one 8-GPU node with the
same lists (learn_standin.yaml) and run on the local executor one trial at a time. The true best is the
stand-in's fastest layout among the model space's layouts that fit the stand-in's memory.

Usage: HP_CLI=build/cli/hp-cli python3 tests/bench/bench_search_trials.py [--out FILE.md]
Figures are recorded in docs/model.md ("Learning from trials").
"""
import argparse
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fixtures", "fake_trainer.py")
CONFIG = os.path.join(ROOT, "tests", "data", "search", "learn_standin.yaml")
# (tp_cost, mbs_half, bubble): cheap/expensive TP, GEMMs that need large/small micro-batches, light/heavy bubble.
SHAPES = [(0.12, 1.0, 1.0), (0.03, 1.0, 1.0), (0.4, 1.0, 1.0), (0.12, 0.25, 1.0), (0.12, 4.0, 1.0),
          (0.12, 1.0, 0.2), (0.03, 4.0, 0.2), (0.4, 0.25, 3.0)]


def standin():
    spec = importlib.util.spec_from_file_location("fake_trainer", FAKE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(cli, work, policy, shape):
    text = open(CONFIG).read().replace("@FAKE_TRAINER@", FAKE).replace("@RESULTS@", os.path.join(work, "results"))
    text = text.replace("python3 ", sys.executable + " ", 1)
    text = text.replace("--standin 80", "--standin 80 --standin-shape " + ",".join(map(str, shape)))
    text = text.replace("  limit_search_runs: 6\n", "  limit_search_runs: %d\n  policy: %s\n"
                        % (6 if policy == "model" else 100, policy))
    path = os.path.join(work, "search.yaml")
    open(path, "w").write(text)
    p = subprocess.run([cli, "search", path, "--executor", "local", "--json"], capture_output=True, text=True)
    if p.returncode not in (0, 7):
        raise RuntimeError(p.stderr)
    trials = {t["config_name"]: t for t in json.loads(p.stdout)["run"]["trials"]}
    order = []
    for line in open(os.path.join(work, "results", "journal.jsonl")):
        e = json.loads(line)
        if e["event"] == "submitted" and e["trial"] not in order:
            order.append(e["trial"])
    times = [trials[n]["step_time_s"] if trials[n]["failure"] == "none" else None for n in order]
    return times, os.path.join(work, "results", "predicted_summary.csv")


def true_best(fx, summary_csv, shape, results):
    cfg = next(os.scandir(os.path.join(results, "candidate_configs"))).path
    base = fx.config_values(cfg)
    best = None
    with open(summary_csv) as f:
        for row in csv.DictReader(f):
            x = fx.standin_layout(base, 8)
            x.update(tp=int(row["tp"]), pp=int(row["pp"]), cp=int(row["cp"]), mbs=int(row["mbs"]), gbs=int(row["gbs"]),
                     dp=int(row["dp"]), full=row["recompute"] == "full", do=row["distributed_optimizer"] == "1")
            if fx.standin_memory_gib(x) <= 80:
                t = fx.standin_step_time_s(x, *shape)
                best = t if best is None else min(best, t)
    return best


def trials_to_within(times, best, tol=0.03):
    seen = None
    for i, t in enumerate(times, 1):
        if t is not None:
            seen = t if seen is None else min(seen, t)
        if seen is not None and seen <= best * (1 + tol):
            return i
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="write the markdown table here too")
    args = ap.parse_args()
    cli = os.environ.get("HP_CLI", os.path.join(ROOT, "build", "cli", "hp-cli"))
    fx = standin()
    rows = ["| tp cost, mbs half, bubble | true best s | model: trials to 3 % (run, OOM) | nemo: trials to 3 % (run, OOM) |",
            "| --- | --- | --- | --- |"]
    for shape in SHAPES:
        cells = []
        best = None
        for policy in ("model", "nemo"):
            with tempfile.TemporaryDirectory() as work:
                times, summary = run(cli, work, policy, shape)
                if policy == "model":
                    best = true_best(fx, summary, shape, os.path.join(work, "results"))
                k = trials_to_within(times, best)
                cells.append("%s (%d, %d)" % (k if k else "never", len(times), sum(t is None for t in times)))
        rows.append("| %s | %.4f | %s | %s |" % (", ".join(map(str, shape)), best, cells[0], cells[1]))
        print(rows[-1], flush=True)
    text = "\n".join(rows) + "\n"
    if args.out:
        open(args.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
