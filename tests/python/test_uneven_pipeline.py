"""Uneven first/last pipeline stages end to end: the search on 61-layer DeepSeek-V3 plans PP 16 layouts whose
candidate configs carry Megatron-Core's num_layers_in_first/last_pipeline_stage, and estimate reads them back."""
import os

import pytest

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "search", "deepseek_v3.yaml")


def test_search_writes_the_uneven_split_and_estimate_reads_it(cli, tmp_path):
    yaml = pytest.importorskip("yaml")
    out = tmp_path / "res"
    cli.run("search", EXAMPLE, "--results-dir", out, check=True)
    written = 0
    for name in os.listdir(out / "candidate_configs"):
        cfg = yaml.safe_load((out / "candidate_configs" / name).read_text())
        m = cfg["model"]
        first, last = m.get("num_layers_in_first_pipeline_stage"), m.get("num_layers_in_last_pipeline_stage")
        pp = m["pipeline_model_parallel_size"]
        if 61 % pp == 0 or m.get("account_for_embedding_in_pipeline_split"):
            assert first is None and last is None, name
            continue
        written += 1
        middle = -(-61 // pp)
        assert first + last + (pp - 2) * middle == 61 and first >= last, name
        if pp == 16:
            assert (first, last) == (3, 2)  # NeMo's DeepSeek-V3 recipe
        est = cli.json("estimate", "--nemo-config", out / "candidate_configs" / name)
        assert "divide the layers" not in str(est.get("reason", "")) and est["step_time_s"] > 0, est.get("reason")
    assert written > 0
    # Python: the same rule through the search result.
    r = bignlp_hp.search(EXAMPLE)
    assert any(t["pp"] == 16 for t in r.plan)
