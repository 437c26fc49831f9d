"""Selective recompute of named modules (Megatron-Core recompute_modules, issue 15) end to end: hp-cli estimate's
flag, its --batch CSV column, the Python Layout attribute, and bad input (exit 2 / ValueError naming the key)."""
import csv

import pytest

import bignlp_hp as hp

# DeepSeek-V3 as dgxc-benchmarking v25.05.05 ran it on 1,024 H100 (published row 530).
V3 = ["estimate", "--model", "deepseek/deepseek_v3", "--gpu", "h100-sxm", "--gpus", "1024", "--tp", "2", "--pp", "16",
      "--ep", "64", "--etp", "1", "--gbs", "8192", "--seq-length", "4096", "--uneven-pipeline"]
RECIPE = ["mla_up_proj", "layernorm", "moe", "mlp"]  # NeMo's DeepSeek-V3 pretrain recipe


def test_cli_each_added_module_saves_memory_and_costs_time(cli):
    plain = cli.json(*V3, "--recompute", "selective")
    assert plain["recompute_modules"] == "core_attn"  # Megatron-Core's default
    up = cli.json(*V3, "--recompute", "selective", "--recompute-modules", "mla_up_proj")
    recipe = cli.json(*V3, "--recompute", "selective", "--recompute-modules", "+".join(RECIPE))
    assert recipe["recompute_modules"] == "layernorm+mla_up_proj+mlp+moe"
    assert plain["memory.activations_bytes"] > up["memory.activations_bytes"] > recipe["memory.activations_bytes"]
    assert plain["step_time_s"] < up["step_time_s"] < recipe["step_time_s"]
    assert plain["hardware_flops_per_step"] < up["hardware_flops_per_step"] < recipe["hardware_flops_per_step"]
    assert plain["model_flops_per_step"] == recipe["model_flops_per_step"]
    assert recipe["fits"] is True and plain["fits"] is False
    # The recipe's MoE recompute re-runs the dispatch and combine all-to-alls: 6 per MoE layer instead of 4.
    assert recipe["time.ep_comm_s"] == pytest.approx(1.5 * plain["time.ep_comm_s"], rel=1e-9)
    text = cli.run(*V3, "--recompute", "selective", "--recompute-modules", "mla_up_proj", check=True).stdout
    assert "recompute selective (mla_up_proj)" in text
    # Python: the same layout, the modules as a list or a '+'-joined string.
    layout = hp.Layout(num_gpus=1024, tp=2, pp=16, ep=64, etp=1, gbs=8192, uneven_pipeline=True,
                       recompute="selective", recompute_modules=RECIPE)
    assert layout.recompute_modules == "layernorm+mla_up_proj+mlp+moe"
    model = hp.ModelSpec.from_catalog("deepseek/deepseek_v3")
    model.seq_length = 4096
    est = hp.estimate(model, layout, "h100-sxm")
    assert est.time.step_time_s == pytest.approx(recipe["step_time_s"], rel=1e-9)
    assert est.memory.activations_bytes == pytest.approx(recipe["memory.activations_bytes"], rel=1e-9)
    layout.recompute_modules = "core_attn"
    assert hp.estimate(model, layout, "h100-sxm").time.step_time_s == pytest.approx(plain["step_time_s"], rel=1e-9)
    assert "recompute_modules='core_attn'" in repr(layout)


def test_cli_module_the_model_lacks_is_a_reason(cli):
    out = cli.json("estimate", "--model", "gpt3/5b", "--gpus", "8", "--recompute", "selective",
                   "--recompute-modules", "mla_up_proj")
    assert out["fits"] is False and "mla_up_proj needs MLA" in out["reason"]
    assert "mla_up_proj needs MLA" in hp.estimate(
        "gpt3/5b", hp.Layout(num_gpus=8, recompute="selective", recompute_modules="moe"), "h100-sxm").reason


@pytest.mark.parametrize("args, words", [
    (["--recompute", "selective", "--recompute-modules", "mlp+attn"], ["recompute_modules=mlp+attn", "core_attn"]),
    (["--recompute-modules", "mlp"], ["recompute_modules=mlp", "selective"]),
    (["--recompute", "full", "--recompute-modules", "core_attn"], ["recompute_modules=core_attn", "selective"]),
])
def test_cli_bad_modules_exit_2_naming_the_key(cli, args, words):
    proc = cli.run("estimate", "--model", "gpt3/5b", *args)
    assert proc.returncode == 2
    for w in words:
        assert w in proc.stderr


def test_python_bad_modules_raise_value_error_naming_the_key():
    with pytest.raises(ValueError) as err:
        hp.Layout(recompute="selective", recompute_modules=["mlp", "up_proj"])
    assert "recompute_modules" in str(err.value) and "up_proj" in str(err.value)
    assert "shared_experts" in str(err.value)  # the accepted words
    with pytest.raises(ValueError) as err:
        hp.Layout(recompute_modules="mlp")  # recompute defaults to none
    assert "recompute_modules=mlp" in str(err.value) and "selective" in str(err.value)
    with pytest.raises(TypeError):
        hp.Layout(recompute="selective", recompute_modules=[1, 2])


def test_cli_batch_column_and_its_bad_words(cli, tmp_path):
    head = "row_id,num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,tp,gbs,recompute," \
           "recompute_modules\n"
    good = tmp_path / "good.csv"
    good.write_text(head + "1,24,2048,16,2048,H100,8,2,64,selective,\n2,24,2048,16,2048,H100,8,2,64,selective,mlp\n")
    out = tmp_path / "out.csv"
    cli.run("estimate", "--batch", good, "-o", out, check=True)
    rows = list(csv.DictReader(open(out)))
    assert float(rows[1]["pred_step_time_s"]) > float(rows[0]["pred_step_time_s"])
    assert float(rows[1]["pred_memory_per_gpu_gb"]) < float(rows[0]["pred_memory_per_gpu_gb"])
    bad = tmp_path / "bad.csv"
    bad.write_text(head + "1,24,2048,16,2048,H100,8,2,64,selective,mlp+moe_layer\n")
    out_bad = tmp_path / "out_bad.csv"
    proc = cli.run("estimate", "--batch", bad, "-o", out_bad)
    assert proc.returncode == 2
    assert "recompute_modules (row 1)=mlp+moe_layer" in proc.stderr and "moe_act" in proc.stderr
    assert not out_bad.exists()


def test_cli_nemo_yaml_key_round_trip_and_bad_words(cli, tmp_path):
    base = tmp_path / "base.yaml"
    cli.run("base-config", "--model", "gpt3", "--size-b", "5", "--nodes", "2", "-o", base, check=True)
    text = base.read_text()
    assert "activations_checkpoint_granularity: ~" in text and "recompute_modules" not in text
    selective = text.replace("activations_checkpoint_granularity: ~",
                             "activations_checkpoint_granularity: selective\n  recompute_modules: [mlp, core_attn]")
    good = tmp_path / "good.yaml"
    good.write_text(selective)
    out = cli.json("estimate", "--nemo-config", good, "--gpu", "h100-sxm")
    assert out["recompute"] == "selective" and out["recompute_modules"] == "core_attn+mlp"
    plain = tmp_path / "plain.yaml"
    plain.write_text(text.replace("activations_checkpoint_granularity: ~",
                                  "activations_checkpoint_granularity: selective"))
    default = cli.json("estimate", "--nemo-config", plain, "--gpu", "h100-sxm")
    assert default["recompute_modules"] == "core_attn"
    assert out["memory.activations_bytes"] < default["memory.activations_bytes"]
    assert out["step_time_s"] > default["step_time_s"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(selective.replace("[mlp, core_attn]", "[mlp, attention]"))
    proc = cli.run("estimate", "--nemo-config", bad)
    assert proc.returncode == 2 and "model.recompute_modules" in proc.stderr and "attention" in proc.stderr
    full = tmp_path / "full.yaml"
    full.write_text(selective.replace("granularity: selective", "granularity: full"))
    proc = cli.run("estimate", "--nemo-config", full)
    assert proc.returncode == 2 and "model.recompute_modules=core_attn+mlp" in proc.stderr
