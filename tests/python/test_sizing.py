"""Model size recommendation, parameter counts and base configs: Python API and CLI end to end."""
import os

import pytest
import yaml

import bignlp_hp


def test_seed_example_recommends_5b():
    r = bignlp_hp.recommend_model_size(model="gpt3", nodes=20, gpus_per_node=8, days=5)
    assert r["estimated_size_b"] == pytest.approx(4.03)
    assert r["recommended_config"] == "gpt3/5b"
    assert r["training_days"] == pytest.approx(6.2)


def test_recommend_from_the_model_cli_and_python_agree(cli):
    """--gpu: the throughput is the model's best layout on the cluster, not an assumed 140 TFLOP/s."""
    j = cli.json("recommend", "--model", "gpt3", "--nodes", 64, "--days", 30, "--gpu", "h100-sxm")
    assert j["throughput_source"] == "model" and j["gpu"] == "h100-sxm"
    assert j["tflops_per_gpu"] > 0 and j["tflops_per_gpu"] != 140
    assert 0 < j["mfu_pct"] < 100
    lay = j["layout"]
    assert lay["tp"] * lay["pp"] * lay["cp"] * lay["dp"] == 512
    assert {"vp", "mbs", "recompute", "distributed_optimizer"} <= set(lay)
    assert j["training_days"] <= 30
    names = [t["config"] for t in j["tried"]]
    assert j["recommended_config"] in names
    # the largest size within the budget
    bigger = [t for t in j["tried"][names.index(j["recommended_config"]) + 1:] if t["fits"]]
    assert all(t["training_days"] > 30 for t in bigger)
    py = bignlp_hp.recommend_model_size(model="gpt3", nodes=64, days=30, gpu="h100-sxm")
    assert py["recommended_config"] == j["recommended_config"] and py["layout"] == lay
    assert py["tflops_per_gpu"] == pytest.approx(j["tflops_per_gpu"])
    chin = cli.json("recommend", "--nodes", 64, "--days", 30, "--gpu", "h100-sxm", "--tokens-per-parameter", 20)
    assert chin["num_tokens_in_b"] == pytest.approx(20 * chin["recommended_size_b"])
    assert chin["tokens_per_parameter"] == 20


def test_recommend_without_gpu_keeps_nemo_rule(cli):
    j = cli.json("recommend", "--model", "gpt3", "--gpus", 160, "--days", 5)
    assert j["throughput_source"] == "assumed" and j["tflops_per_gpu"] == 140 and j["mfu_pct"] is None
    assert j["estimated_size_b"] == pytest.approx(4.03) and "layout" not in j


@pytest.mark.parametrize("args,code,needles", [
    (["--gpu", "h900"], 2, ["h900"]),
    (["--gpu", "h100-sxm", "--tokens-per-parameter", "0"], 2, ["--tokens-per-parameter=0"]),
    (["--gpu", "h100-sxm", "--tokens-per-parameter", "-20"], 2, ["--tokens-per-parameter=-20"]),
    (["--gpu", "h100-sxm", "--gpus", "8", "--days", "0.01"], 4, ["gpt3/126m", "would fit with"]),
])
def test_recommend_from_the_model_bad_input(cli, args, code, needles):
    p = cli.run("recommend", *args)
    assert p.returncode == code, p.stderr
    assert all(n in p.stderr for n in needles) and "Traceback" not in p.stderr and p.stdout == ""


def test_python_recommend_bad_input():
    with pytest.raises(ValueError, match="tokens_per_parameter=0"):
        bignlp_hp.recommend_model_size(gpu="h100-sxm", tokens_per_parameter=0)
    with pytest.raises(bignlp_hp.NoFeasibleLayoutError, match="tried"):
        bignlp_hp.recommend_model_size(gpu="h100-sxm", gpus=8, days=0.01)


def test_mt5_uses_nemo_factor():
    gpt = bignlp_hp.recommend_model_size(model="gpt3", gpus=160, days=5)["estimated_size_b"]
    mt5 = bignlp_hp.recommend_model_size(model="mt5", gpus=160, days=5)["estimated_size_b"]
    assert mt5 == pytest.approx(round(gpt * 0.87, 2), abs=0.011)


def test_cli_recommend_json(cli):
    j = cli.json("recommend", "--model", "gpt3", "--gpus", 160, "--days", 5)
    assert j["estimated_size_b"] == pytest.approx(4.03)
    assert j["recommended_config"] == "gpt3/5b"
    assert j["training_days"] == pytest.approx(6.2)


def test_count_parameters_175b():
    c = bignlp_hp.count_parameters("gpt3/175b")
    assert c["total"] == pytest.approx(174.6e9, rel=1e-3)
    assert c["total"] == c["embedding"] + c["position_embedding"] + c["attention"] + c["mlp"] + c["norms"] + c["output_layer"]


def test_count_parameters_custom_dict():
    c = bignlp_hp.count_parameters({"num_layers": 32, "hidden_size": 4096, "ffn_hidden_size": 11008,
                                    "num_attention_heads": 32, "vocab_size": 32000, "seq_length": 4096,
                                    "position_embedding": "rope", "activation": "swiglu",
                                    "normalization": "rmsnorm", "add_bias_linear": False,
                                    "share_embeddings_and_output_weights": False})
    assert c["total"] == 6738415616


def test_base_config_5b_matches_nemo(tmp_path):
    out = tmp_path / "b.yaml"
    d = bignlp_hp.base_config(model="gpt3", size_b=5, nodes=16, days=5, output=str(out))
    assert (d["num_layers"], d["hidden_size"], d["num_attention_heads"], d["global_batch_size"]) == (24, 4096, 32, 2048)
    assert d["max_steps"] == 71525
    cfg = yaml.safe_load(out.read_text())
    # The numbers NeMo's launcher writes for this case (nemo_autoconfigurator.md section 3.4).
    assert cfg["model"]["optim"]["sched"]["warmup_steps"] == 107
    assert cfg["model"]["optim"]["sched"]["constant_steps"] == 11873
    assert cfg["model"]["optim"]["lr"] == pytest.approx(1.2e-4)
    assert cfg["model"]["init_method_std"] == pytest.approx(0.01)
    assert cfg["run"]["time_limit"] == "5-00:00:00"
    assert cfg["trainer"]["max_time"] == "04:23:30:00"
    assert cfg["model"]["sequence_parallel"] is False
    assert isinstance(cfg["trainer"]["gradient_clip_val"], float)
    for section in ("run", "trainer", "exp_manager", "model"):
        assert section in cfg
    for key in ("tokenizer", "optim", "data", "nsys_profile"):
        assert key in cfg["model"]
    back = bignlp_hp.load_training_config(str(out))
    assert back["num_layers"] == 24 and back["global_batch_size"] == 2048


def test_base_config_custom_size_uses_nemo_layer_search():
    d = bignlp_hp.base_config(model="gpt3", size_b=175, nodes=128)
    assert (d["num_layers"], d["hidden_size"]) == (96, 12288)
    d = bignlp_hp.base_config(model="gpt3", size_b=13)
    assert (d["num_layers"], d["hidden_size"]) == (40, 5120)  # NeMo's own result for 13B


@pytest.mark.parametrize("family,size,layers,hidden", [("t5", 0.22, 12, 768), ("mt5", 0.17, 8, 512), ("t5", 11, 24, 4096)])
def test_base_config_t5(family, size, layers, hidden, tmp_path):
    out = tmp_path / "t5.yaml"
    d = bignlp_hp.base_config(model=family, size_b=size, output=str(out))
    assert (d["num_layers"], d["hidden_size"]) == (layers, hidden)
    cfg = yaml.safe_load(out.read_text())
    assert cfg["model"]["encoder"]["num_layers"] == layers
    assert cfg["model"]["decoder"]["num_layers"] == layers
    assert cfg["model"]["data"]["seq_length_dec"] == 128


def test_cli_base_config_json(cli, tmp_path):
    out = tmp_path / "base.yaml"
    j = cli.json("base-config", "--model", "gpt3", "--size-b", 5, "--nodes", 16, "-o", out)
    for key in ("num_layers", "hidden_size", "ffn_hidden_size", "num_attention_heads", "kv_channels",
                "num_parameters", "global_batch_size", "tensor_model_parallel_size",
                "pipeline_model_parallel_size", "config_path"):
        assert key in j
    assert j["config_path"] == str(out) and out.exists()
    assert j["num_parameters"] == bignlp_hp.count_parameters("gpt3/5b")["total"]


def test_cli_base_config_from_nemo_search_config(cli, tmp_path):
    folder = tmp_path / "gpt3"
    folder.mkdir()
    (folder / "5b.yaml").write_text(
        "train_settings:\n  model_size_in_b: 5\n  num_nodes: 16\n  gpus_per_node: 8\n  gpu_memory_gb: 80\n"
        "  max_training_days: 5\n  num_tokens_in_b: 300\n  vocab_size: 51200\n  seq_length: 2048\n"
        "  tensor_parallel_sizes: auto\n")
    j = cli.json("base-config", "--search-config", folder / "5b.yaml", "-o", tmp_path / "o.yaml")
    assert j["model"] == "gpt3" and j["num_layers"] == 24 and j["max_steps"] == 71525


@pytest.mark.parametrize("args,needle", [
    (["recommend", "--gpus", "0"], "num_gpus=0"),
    (["recommend", "--gpus", "8", "--days", "-1"], "max_training_days=-1"),
    (["recommend", "--gpus", "8", "--tokens-b", "0"], "num_tokens_in_b=0"),
    (["recommend", "--model", "gpt5"], "model=gpt5"),
    (["base-config", "--model", "gpt3", "--size-b", "5000"], "model_size_in_b=5000"),
    (["base-config", "--model", "gpt5", "--size-b", "1"], "model=gpt5"),
    (["base-config", "--model", "llama", "--size-b", "30"], "model_size_in_b=30"),
])
def test_cli_bad_input(cli, tmp_path, args, needle):
    p = cli.run(*args, "-o", tmp_path / "x.yaml") if args[0] == "base-config" else cli.run(*args)
    assert p.returncode == 2
    assert needle in p.stderr and p.stderr.count("\n") == 1
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_cli_malformed_search_config(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train_settings:\n  num_nodes: [1, 2\n")
    p = cli.run("base-config", "--search-config", bad, "-o", tmp_path / "x.yaml")
    assert p.returncode == 2 and "malformed YAML" in p.stderr and not (tmp_path / "x.yaml").exists()
    p = cli.run("base-config", "--search-config", tmp_path / "missing.yaml")
    assert p.returncode == 3 and "missing.yaml" in p.stderr
    typo = tmp_path / "gpt3" / "t.yaml"
    typo.parent.mkdir()
    typo.write_text("train_settings:\n  num_nodez: 4\n")
    p = cli.run("base-config", "--search-config", typo)
    assert p.returncode == 2 and "train_settings.num_nodez=4" in p.stderr


def test_python_bad_input_is_value_error():
    with pytest.raises(ValueError, match="num_gpus=0"):
        bignlp_hp.recommend_model_size(gpus=0)
    with pytest.raises(bignlp_hp.ConfigError, match="model=gpt3/6b"):
        bignlp_hp.count_parameters("gpt3/6b")


def test_installed_package_has_cli():
    """scripts/test.sh installs the package with pip; its hp-cli must be the same tool."""
    installed = os.environ.get("HP_INSTALLED_CLI")
    if not installed:
        pytest.skip("HP_INSTALLED_CLI not set (only scripts/test.sh installs the package)")
    import subprocess
    out = subprocess.run([installed, "recommend", "--gpus", "160", "--days", "5", "--json"], capture_output=True, text=True)
    assert out.returncode == 0 and '"recommended_config": "gpt3/5b"' in out.stdout


def test_shipped_example_configs_are_current(repo_root):
    """examples/configs/*.yaml are the tool's own output for the pre-defined configs: no drift."""
    folder = os.path.join(repo_root, "examples", "configs")
    names = sorted(os.listdir(folder))
    assert len(names) == len(bignlp_hp.list_models())
    for m in bignlp_hp.list_models():
        family, label = m["config"].split("/")
        if m["nemo_base_config"]:  # llama, mixtral, qwen2, baichuan2, chatglm: by NeMo's base-config name
            d = bignlp_hp.base_config(model=m["nemo_base_config"])
        else:
            size = float(label[:-1]) / (1000 if label.endswith("m") else 1)
            d = bignlp_hp.base_config(model=family, size_b=size)
        with open(os.path.join(folder, f"{family}_{label}.yaml")) as f:
            assert f.read() == d["yaml"], m["config"]
