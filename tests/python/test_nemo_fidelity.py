"""NeMo drop-in fidelity (issue 11): NVIDIA's shipped files (tests/data/nemo/, transcribed with their source) are
read as NeMo reads them, and every YAML the tool writes says what current NeMo writes and loads the same in a
YAML 1.1 reader (PyYAML, which OmegaConf and so NeMo use)."""
import csv
import glob
import json
import os

import pytest
import yaml

import bignlp_hp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEMO = os.path.join(ROOT, "tests", "data", "nemo")
CLOCK_KEYS = {"max_time", "time_limit"}


def nemo_file(name):
    with open(os.path.join(NEMO, name)) as f:
        return yaml.safe_load(f)


def clock_values(node, path=""):
    """Every (dotted key, value) whose key is a clock (max_time, time_limit), at any depth."""
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{path}.{k}" if path else str(k)
            if k in CLOCK_KEYS:
                yield key, v
            yield from clock_values(v, key)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from clock_values(v, f"{path}[{i}]")


def assert_clocks_are_strings(folder):
    files = glob.glob(os.path.join(folder, "**", "*.yaml"), recursive=True)
    checked = 0
    for path in files:
        with open(path) as f:
            doc = yaml.safe_load(f)  # YAML 1.1: unquoted 12:23:30:00 would be the int 2676600
        for key, value in clock_values(doc):
            assert isinstance(value, str), f"{path}: {key} = {value!r} is not a string"
            checked += 1
    return files, checked


# --- 1. every optimizer name NeMo knows -------------------------------------------------------------------------

def test_estimate_reads_nvidia_5b_as_distributed_optimizer_and_fits(cli):
    r = cli.run("estimate", "--nemo-config", os.path.join(NEMO, "gpt3_5b.yaml"), "--gpu", "a100-80gb", check=True)
    assert "dist-opt yes" in r.stdout
    assert "fits    yes" in r.stdout
    j = cli.json("estimate", "--nemo-config", os.path.join(NEMO, "gpt3_175b.yaml"), "--gpu", "a100-80gb")
    assert j["fits"] == 1


def test_custom_config_search_over_nvidia_5b_keeps_the_distributed_optimizer(tmp_path):
    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 16, "policy": "nemo",
                                               "custom_config": os.path.join(NEMO, "gpt3_5b.yaml")}}
    r = bignlp_hp.search(cfg, write_files=False)
    rows = r.rows()
    assert len(rows["fits"]) == 12 and all(rows["distributed_optimizer"])
    # only tp 1 x mbs 8 (76.5 GiB with the 5% margin) is predicted not to fit; read as fused_adam, 4 were
    assert sum(1 for f in rows["fits"] if not f) == 1


def test_nemo_policy_writes_the_grids_cp_over_a_custom_config(tmp_path):
    # NeMo's modify_cfg sets model.context_parallel_size from its grid ([1] for GPT): the file and the name agree
    doc = nemo_file("gpt3_5b.yaml")
    doc["model"]["context_parallel_size"] = 2
    custom = tmp_path / "cp2.yaml"
    custom.write_text(yaml.safe_dump(doc))
    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 16, "policy": "nemo",
                                               "limit_search_runs": 2, "custom_config": str(custom),
                                               "logs": str(tmp_path / "r")}}
    r = bignlp_hp.search(cfg, write_files=True)  # into train_settings.logs
    for t in r.plan:
        assert "_cp_1_ep_1_" in t["config_name"] and t["cp"] == 1
        assert yaml.safe_load(open(t["config_path"]))["model"]["context_parallel_size"] == 1


def test_nvidia_configs_read_with_their_optimizer():
    for name, optimizer in [("gpt3_5b.yaml", "mcore_distributed_optim"), ("gpt3_126m.yaml", "mcore_distributed_optim"),
                            ("t5_220m.yaml", "distributed_fused_adam"), ("mt5_170m.yaml", "distributed_fused_adam")]:
        c = bignlp_hp.load_training_config(os.path.join(NEMO, name))
        assert c["optimizer"] == optimizer and c["distributed_optimizer"] is True, name


def test_every_nemo_optimizer_name_is_read_with_its_sharding(tmp_path):
    names = {o["name"]: o["distributed"] for o in bignlp_hp.nemo_optimizers()}
    # NeMo's AVAILABLE_OPTIMIZERS plus Megatron-Core's distributed optimizer
    for n in ["mcore_distributed_optim", "distributed_fused_adam", "fused_adam", "megatron_fused_adam", "adam",
              "adamw", "sgd", "adadelta", "adamax", "adagrad", "rmsprop", "rprop", "novograd", "adafactor", "adan",
              "lamb"]:
        assert n in names
    assert {n for n, d in names.items() if d} == {"mcore_distributed_optim", "distributed_fused_adam"}
    doc = nemo_file("gpt3_5b.yaml")
    for n, distributed in names.items():
        doc["model"]["optim"]["name"] = n
        path = tmp_path / f"{n}.yaml"
        path.write_text(yaml.safe_dump(doc))
        c = bignlp_hp.load_training_config(str(path))
        assert c["optimizer"] == n and c["distributed_optimizer"] is distributed
    states = {o["name"]: o["state_bytes"] for o in bignlp_hp.nemo_optimizers()}
    assert states["mcore_distributed_optim"] == states["adamw"] == 12 and states["sgd"] == 4
    doc["model"]["optim"] = {"name": "sgd", "lr": 0.1, "momentum": 0.9}
    path = tmp_path / "sgd_momentum.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert bignlp_hp.load_training_config(str(path))["optimizer_state_bytes"] == 8


def test_non_distributed_optimizer_needs_more_memory(cli, tmp_path):
    doc = nemo_file("gpt3_5b.yaml")
    doc["model"]["optim"]["name"] = "adamw"
    path = tmp_path / "adamw.yaml"
    path.write_text(yaml.safe_dump(doc))
    dist = cli.json("estimate", "--nemo-config", os.path.join(NEMO, "gpt3_5b.yaml"), "--gpu", "a100-80gb")
    full = cli.json("estimate", "--nemo-config", path, "--gpu", "a100-80gb")
    assert full["memory.optimizer_bytes"] > 4 * dist["memory.optimizer_bytes"]


def test_unknown_optimizer_is_bad_input(cli, tmp_path):
    doc = nemo_file("gpt3_5b.yaml")
    doc["model"]["optim"]["name"] = "adam_typo"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(doc))
    r = cli.run("estimate", "--nemo-config", path, "--gpu", "a100-80gb")
    assert r.returncode == 2
    assert "model.optim.name" in r.stderr and "adam_typo" in r.stderr
    assert "mcore_distributed_optim" in r.stderr and "distributed_fused_adam" in r.stderr and "sgd" in r.stderr
    with pytest.raises(bignlp_hp.ConfigError, match="model.optim.name=adam_typo.*mcore_distributed_optim"):
        bignlp_hp.load_training_config(str(path))
    with pytest.raises(ValueError):
        bignlp_hp.load_training_config(str(path))
    # a search over a custom_config with it fails the same way and writes nothing
    cfg = {"model": "gpt3", "train_settings": {"num_nodes": 1, "custom_config": str(path),
                                               "logs": str(tmp_path / "res")}}
    with pytest.raises(bignlp_hp.ConfigError, match="model.optim.name"):
        bignlp_hp.search(cfg, write_files=True)
    assert not (tmp_path / "res").exists()


# --- 2. clock values quoted in every written YAML --------------------------------------------------------------

def test_every_written_yaml_has_string_clocks(cli, tmp_path):
    # 12.5 days: run.time_limit 12-12:00:00, trainer.max_time 12:11:30:00 (a base-60 integer when unquoted)
    for family, size in [("gpt3", "5"), ("t5", "0.22"), ("mt5", "0.17")]:
        cli.run("base-config", "--model", family, "--size-b", size, "--days", "12.5", "-o",
                tmp_path / "base" / f"{family}.yaml", check=True)
    base = yaml.safe_load(open(tmp_path / "base" / "gpt3.yaml"))
    assert base["trainer"]["max_time"] == "12:11:30:00" and base["run"]["time_limit"] == "12-12:00:00"
    custom = tmp_path / "base" / "gpt3.yaml"
    for policy, model, size in [("nemo", "gpt3", 5), ("model", "gpt3", 5), ("nemo", "t5", 0.22), ("nemo", "mt5", 0.17)]:
        cfg = {"model": model, "train_settings": {"model_size_in_b": size, "num_nodes": 2, "max_training_days": 12.5,
                                                  "limit_search_runs": 3, "max_minutes_per_run": 1500,
                                                  "logs": str(tmp_path / f"{policy}_{model}")}}
        bignlp_hp.search(cfg, policy=policy, write_files=True)
    cfg = {"model": "gpt3", "train_settings": {"num_nodes": 2, "custom_config": str(custom), "limit_search_runs": 2,
                                               "logs": str(tmp_path / "custom")}}
    bignlp_hp.search(cfg, policy="nemo", write_files=True)
    files, checked = assert_clocks_are_strings(tmp_path)
    candidates = [f for f in files if "candidate_configs" in f]
    plans = [f for f in files if f.endswith("plan.yaml")]
    assert len(candidates) >= 12 and len(plans) == 5 and checked >= 2 * len(files)


def test_optimal_config_and_winner_name_as_compare_throughput(tmp_path):
    class Instant(bignlp_hp.Executor):
        def name(self):
            return "instant"

        def submit(self, request):
            t = 1 + (0.1 if "_tp_2_" in request.name else 0.0) + (0.01 if "_mbs_1_" in request.name else 0.0)
            with open(request.stdout_path, "w") as f:
                for i in range(8):
                    f.write(f"Training epoch 0, iteration {i}/7 | global_step: {i} | train_step_timing in s: {t}\n")
            return request.name

        def poll(self, job_id):
            return bignlp_hp.JobStatus("completed", scheduler_state="DONE")

        def cancel(self, job_id):
            pass

    cfg = {"model": "gpt3", "train_settings": {"model_size_in_b": 0.126, "num_nodes": 1, "max_training_days": 12.5,
                                               "limit_search_runs": 4, "max_minutes_per_run": 1500,
                                               "micro_batch_sizes": [1, 2], "policy": "nemo",
                                               "logs": str(tmp_path / "results")}}
    res = bignlp_hp.run_search(cfg, executor=Instant())
    assert res.num_measured == 4
    final = tmp_path / "results" / "final_result"
    assert (final / "optimal_config_0.126b_1nodes.yaml").exists()
    assert_clocks_are_strings(tmp_path / "results")
    # compare_throughput.py (NeMo-Framework-Launcher HEAD) builds the winner from the first summary row and copies
    # candidate_configs/<that name>.yaml: the name must exist and be the optimal config.
    rows = list(csv.DictReader(open(final / "final_summary_1nodes.csv")))
    w = rows[0]
    top = (f"{w['Model Name']}_{w['Model Size']}b_{w['Nodes']}nodes_tp_{w['TP']}_pp_{w['PP']}_cp_{w['CP']}"
           f"_ep_{w['EP']}_mbs_{w['MBS']}_act_ckpt_{w['Act Ckpt Layers']}_num_mbs_act_{w['Act Ckpt Micro Bathes']}"
           f"_act_per_pipe_{w['Act Ckpt Layers per Pipeline']}")
    assert top == "gpt3_0.126b_1nodes_tp_1_pp_1_cp_1_ep_1_mbs_2_act_ckpt_None_num_mbs_act_None_act_per_pipe_None"
    candidate = tmp_path / "results" / "candidate_configs" / f"{top}.yaml"
    assert candidate.read_text() == (final / "optimal_config_0.126b_1nodes.yaml").read_text()
    assert w["Config Name"] == "tp1_pp1_cp1_ep1_mbs2_act_None_num_mbs_act_None_act_per_pipe_None"


# --- 3, 6, 7. what NeMo writes today -----------------------------------------------------------------------------

def base(family, size, **kw):
    return yaml.safe_load(bignlp_hp.base_config(model=family, size_b=size, **kw)["yaml"])


def test_gpt_base_config_writes_current_nemo_keys():
    nvidia = nemo_file("base_configs_gpt3.yaml")
    ours = base("gpt3", 0.126, nodes=8)
    assert ours["run"]["name"] == "gpt3_0.126b"  # NeMo: f"{model_name}_{model_size_in_b}b"
    assert ours["model"]["optim"]["name"] == nvidia["model"]["optim"]["name"] == "mcore_distributed_optim"
    assert ours["model"]["transformer_engine"] is nvidia["model"]["transformer_engine"] is True
    assert ours["model"]["mcore_gpt"] is True
    assert ours["model"]["micro_batch_size"] == nvidia["model"]["micro_batch_size"] == 4
    assert ours["trainer"]["val_check_interval"] == nvidia["trainer"]["val_check_interval"] == 50
    # NVIDIA's bucket_cap_mb is ${training.model.grad_allreduce_chunk_size_mb}
    assert nvidia["model"]["optim"]["bucket_cap_mb"] == "${training.model.grad_allreduce_chunk_size_mb}"
    assert ours["model"]["optim"]["bucket_cap_mb"] == nvidia["model"]["grad_allreduce_chunk_size_mb"] == 125
    for section in ("run", "trainer", "exp_manager", "model"):
        missing = set(nvidia[section]) - set(ours[section])
        assert not missing, f"{section}: keys NeMo writes that we do not: {sorted(missing)}"
    for sub in ("data", "optim", "tokenizer", "nsys_profile"):
        assert set(nvidia["model"][sub]) <= set(ours["model"][sub]), sub
    assert base("gpt3", 5)["run"]["name"] == "gpt3_5b"


def test_base_config_micro_batch_is_nemos_unless_it_does_not_fit(cli, tmp_path):
    # NeMo's template says 4 for every GPT size; a base config meant to run keeps the largest halving that the
    # performance model says fits (and 1 when none does)
    assert base("gpt3", 5, nodes=16)["model"]["micro_batch_size"] == 4
    for size, nodes in [(175, 16), (20, 8)]:
        path = tmp_path / f"{size}.yaml"
        bignlp_hp.base_config(model="gpt3", size_b=size, nodes=nodes, output=str(path))
        mbs = yaml.safe_load(open(path))["model"]["micro_batch_size"]
        fits = cli.json("estimate", "--nemo-config", path, "--gpu", "a100-80gb")["fits"]
        assert mbs == 1 or fits == 1
        if mbs < 4:  # the next larger one does not fit
            doc = yaml.safe_load(open(path))
            doc["model"]["micro_batch_size"] = 2 * mbs
            bigger = tmp_path / f"{size}_bigger.yaml"
            bigger.write_text(yaml.safe_dump(doc))
            assert cli.json("estimate", "--nemo-config", bigger, "--gpu", "a100-80gb")["fits"] == 0


@pytest.mark.parametrize("family,size,nvidia_file", [("t5", 0.22, "t5_220m.yaml"), ("mt5", 0.17, "mt5_170m.yaml")])
def test_t5_and_mt5_write_what_nemo_ships(family, size, nvidia_file):
    nvidia = nemo_file(nvidia_file)
    ours = base(family, size)
    assert ours["model"]["mcore_t5"] is nvidia["model"]["mcore_t5"] is True
    assert ours["model"]["transformer_engine"] is nvidia["model"]["transformer_engine"] is True
    assert ours["model"]["optim"]["name"] == "mcore_distributed_optim"
    assert ours["name"] == nvidia["name"] == f"megatron_{family}"
    assert ours["exp_manager"]["name"] == nvidia["exp_manager"]["name"]
    assert ours["exp_manager"]["checkpoint_callback_params"]["filename"] == \
        nvidia["exp_manager"]["checkpoint_callback_params"]["filename"]
    assert ours["exp_manager"]["wandb_logger_kwargs"]["project"] == nvidia["exp_manager"]["wandb_logger_kwargs"]["project"]
    for key in ("splits_string", "num_workers", "whole_word_masking", "seq_length_dec"):
        assert ours["model"]["data"][key] == nvidia["model"]["data"][key], key
    template = nemo_file(f"base_configs_{family}.yaml")
    assert ours["model"]["micro_batch_size"] == template["model"]["micro_batch_size"] == 64
    # every key NeMo's template writes is written (mT5's launcher-side language blending keys excepted, documented)
    for section in ("run", "trainer", "exp_manager", "model"):
        missing = set(template[section]) - set(ours[section]) - {"preprocessed_dir", "blending_alpha"}
        assert not missing, f"{section}: {sorted(missing)}"
    for sub in ("encoder", "decoder", "data", "optim", "tokenizer"):
        assert set(template["model"][sub]) <= set(ours["model"][sub]), sub
    # our output reads back as the same family
    assert bignlp_hp.base_config(model=family, size_b=size)["run_name"] == f"{family}_{size}b"


def test_written_mt5_reads_back_as_mt5(tmp_path):
    path = tmp_path / "mt5.yaml"
    bignlp_hp.base_config(model="mt5", size_b=0.17, output=str(path))
    c = bignlp_hp.load_training_config(str(path))
    assert c["family"] == "mt5" and c["optimizer"] == "mcore_distributed_optim"


def test_legacy_optimizer_name_is_kept_in_a_custom_config_search(tmp_path):
    cfg = {"model": "t5", "train_settings": {"num_nodes": 1, "custom_config": os.path.join(NEMO, "t5_220m.yaml"),
                                             "limit_search_runs": 1, "logs": str(tmp_path / "r")}}
    r = bignlp_hp.search(cfg, policy="nemo", write_files=True)
    cand = yaml.safe_load(open(r.plan[0]["config_path"]))
    assert cand["model"]["optim"]["name"] == "distributed_fused_adam"


# --- 4. infer-search on every shipped GPT-3 search config --------------------------------------------------------

@pytest.mark.parametrize("name", sorted(os.listdir(os.path.join(NEMO, "search_config", "gpt3"))))
def test_infer_search_on_every_shipped_gpt3_search_config(cli, tmp_path, name):
    path = os.path.join(NEMO, "search_config", "gpt3", name)
    out = cli.json("infer-search", path, "--results-dir", tmp_path)
    assert out["num_candidates"] > 0
    label = yaml.safe_load(open(path))["inference_settings"]["run"]["model_train_name"]
    if name != "unknown_size.yaml":  # its label says 20b but NeMo sizes the model from the GPUs and days
        assert label == f"gpt3_{name[:-len('.yaml')]}"


def test_infer_search_architecture_comes_from_train_settings(tmp_path):
    # 2b has no pre-defined config: the architecture is the base config's (NeMo's tables), the label a label
    r = bignlp_hp.inference_search(os.path.join(NEMO, "search_config", "gpt3", "2b.yaml"), write=False)
    assert r.model == "gpt3_2b"
    out = bignlp_hp.inference_search(os.path.join(NEMO, "search_config", "gpt3", "0.843b.yaml"),
                                     results_dir=str(tmp_path / "inf"))
    files, _ = assert_clocks_are_strings(str(tmp_path / "inf"))
    assert any(f.endswith("best_layout.yaml") for f in files) and out.model == "gpt3_0.843b"


# --- 5. candidate names ------------------------------------------------------------------------------------------

def test_candidate_names_follow_nemo_head(cli, tmp_path):
    cfg = os.path.join(NEMO, "search_config", "gpt3", "5b.yaml")
    r = cli.json("search", cfg, "--policy", "nemo", "--results-dir", tmp_path / "a")
    names = [t["config_name"] for t in r["plan"]]
    assert names[0] == "gpt3_5b_16nodes_tp_1_pp_1_cp_1_ep_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None"
    assert all("_cp_1_ep_1_mbs_" in n for n in names)
    legacy = cli.json("search", cfg, "--policy", "nemo", "--legacy-names", "--results-dir", tmp_path / "b")
    assert legacy["plan"][0]["config_name"] == \
        "gpt3_5b_16nodes_tp_1_pp_1_mbs_1_act_ckpt_None_num_mbs_act_None_act_per_pipe_None"
    assert sorted(os.listdir(tmp_path / "b" / "candidate_configs"))[0].startswith("gpt3_5b_16nodes_tp_1_pp_1_mbs_")
    t5 = bignlp_hp.search({"model": "t5", "train_settings": {"model_size_in_b": 0.22, "num_nodes": 1,
                                                             "limit_search_runs": 2}}, policy="nemo",
                          write_files=False)
    assert t5.plan[0]["config_name"].startswith("t5_0.22b_1nodes_tp_1_pp_1_cp_None_ep_None_mbs_")
    legacy_py = bignlp_hp.search({"model": "t5", "train_settings": {"model_size_in_b": 0.22, "num_nodes": 1,
                                                                    "limit_search_runs": 2, "legacy_names": True}},
                                 policy="nemo", write_files=False)
    assert "_cp_" not in legacy_py.plan[0]["config_name"]
    model = bignlp_hp.search({"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 2,
                                                                  "limit_search_runs": 2}}, write_files=False)
    assert "_cp_1_ep_1_mbs_" in model.plan[0]["config_name"]


def test_legacy_names_bad_value(tmp_path):
    with pytest.raises(bignlp_hp.ConfigError, match="train_settings.legacy_names"):
        bignlp_hp.search({"model": "gpt3", "train_settings": {"legacy_names": "maybe"}}, write_files=False)
