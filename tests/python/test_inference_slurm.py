"""Inference search through the Slurm executor (run by ctest -L slurm against the local test cluster)."""
import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("SLURM_CONF") or not os.path.isfile(os.environ.get("SLURM_CONF", "")),
    reason="needs the local Slurm test cluster (ctest -L slurm)",
)


def test_infer_search_slurm_executor(cli, repo_root, tmp_path):
    cfg = tmp_path / "slurm.yaml"
    # 2 fake GPUs per node in the test cluster; TP 2 runs 2 ranks of the stand-in FT binary under srun.
    cfg.write_text(
        "model: gpt3\ninference_settings:\n  model: gpt3_5b\n  gpu: a100-80gb\n  gpus_per_node: 2\n"
        "  tensor_parallel_sizes: [1, 2]\n  pipeline_parallel_sizes: [1]\n  max_batch_sizes: [8, 64]\n  top_n: 4\n"
        "cluster:\n  job_name_prefix: 'hp-infer-test:'\n"
    )
    out = tmp_path / "res"
    fake_ft = os.path.join(repo_root, "tests", "data", "inference", "fake_ft")
    proc = cli.run("infer-search", cfg, "--results-dir", out, "--executor", "slurm", "--ft-path", fake_ft,
                   "--time-limit-min", 5, "--json", timeout=280)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    j = json.loads(proc.stdout)
    assert j["num_jobs_planned"] == 4
    assert j["num_measured"] == 4
    assert j["best"]["latency_source"] == "measured"
    tp2 = out / "inference" / "gpt3_5b_tp2_pp1_bs64"
    log = (tp2 / "bench.log").read_text()
    assert log.count("FT-CPP-decoding-beamsearch-time 37.00 ms") == 2  # one line per rank
    assert "--ntasks-per-node=2" in (tp2 / "executor_sbatch.sh").read_text()
