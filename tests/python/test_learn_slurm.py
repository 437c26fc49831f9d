"""Issue 13 end to end on the test Slurm cluster (run by ctest -L slurm: 2 nodes x 2 fake GPUs): the stand-in
trainer (tests/fixtures/fake_trainer.py --standin, a TEST FIXTURE whose out-of-memory rule follows activation
memory) runs the plan through sbatch; trials whose layout fits one node get one node."""
import json
import os

import pytest

from test_learn import check_fewest_nodes_run, standin_config

pytestmark = pytest.mark.skipif(
    not os.environ.get("SLURM_CONF") or not os.path.isfile(os.environ.get("SLURM_CONF", "")),
    reason="needs the local Slurm test cluster (ctest -L slurm)",
)


def test_standin_search_on_slurm_runs_trials_on_the_fewest_nodes(cli, tmp_path):
    # The jobs run on this host: the results directory must be visible to them (it is: one machine).
    cfg = standin_config(tmp_path, "learn_standin_2nodes.yaml", "cluster:\n  job_name_prefix: 'hp-learn-test:'\n")
    p = cli.run("search", cfg, "--executor", "slurm", "--json", timeout=280)
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout)
    results = tmp_path / "results"
    trials = check_fewest_nodes_run(out, results)
    # Slurm gave each trial the nodes it asked for: the sbatch script and the allocation the job saw.
    for t in trials:
        if t["state"] in ("dropped", "queued"):
            continue
        d = results / "training_logs" / t["config_name"]
        assert f"#SBATCH --nodes=\"{t['nodes']}\"" in (d / f"launch_{t['config_name']}.sh").read_text()
        log = (d / f"log-{t['config_name']}.out").read_text()
        assert f"nodes: {t['nodes']}," in log, log[:300]
