"""Issue 15 end to end: precision, FSDP, pipeline split, MoE dispatcher and offload through hp-cli and Python."""
import pytest

import bignlp_hp as hp

LLAMA70 = ["--num-layers", "80", "--hidden-size", "8192", "--ffn-hidden-size", "28672", "--num-attention-heads", "64",
           "--num-query-groups", "8", "--vocab-size", "128256", "--seq-length", "8192", "--activation", "swiglu"]


def test_cli_fsdp_makes_70b_fit_at_tp1_pp1_on_gb200(cli):
    base = ["estimate", *LLAMA70, "--gpu", "gb200", "--gpus", "64", "--gbs", "128", "--precision", "fp8-cs"]
    plain = cli.json(*base)
    assert plain["fits"] is False and plain["fsdp"] is False
    out = cli.json(*base, "--fsdp")
    assert out["fits"] is True and out["fsdp"] is True and out["precision"] == "fp8-cs"
    assert out["time.dp_comm_s"] == 0 and out["time.fsdp_comm_s"] > 0
    py = hp.estimate(hp.ModelSpec(num_layers=80, hidden_size=8192, ffn_hidden_size=28672, num_attention_heads=64,
                                  num_query_groups=8, vocab_size=128256, seq_length=8192, activation="swiglu"),
                     hp.Layout(num_gpus=64, gbs=128, precision="fp8-cs", fsdp=True), "gb200")
    # The CLI's custom model and ModelSpec differ only in norm/bias defaults (parameters, not layout).
    assert py.time.step_time_s == pytest.approx(out["step_time_s"], rel=1e-4)


def test_cli_pipeline_split_accepts_126_layers_pp16_vp8(cli):
    args = ["estimate", "--num-layers", "126", "--hidden-size", "16384", "--ffn-hidden-size", "53248",
            "--num-attention-heads", "128", "--num-query-groups", "8", "--vocab-size", "128256", "--seq-length", "8192",
            "--activation", "swiglu", "--gpu", "h100-sxm", "--gpus", "1024", "--tp", "8", "--pp", "16", "--vp", "8",
            "--gbs", "512", "--sequence-parallel"]
    assert "does not divide the layers" in cli.json(*args)["reason"]
    out = cli.json(*args, "--pipeline-split", "embedding+loss")
    assert "divide" not in out["reason"] and out["step_time_s"] > 0


def test_precision_and_dispatcher_words_in_python():
    layout = hp.Layout(num_gpus=8, gbs=64, precision="NVFP4", moe_dispatcher="flex")
    assert layout.precision == "nvfp4" and layout.fp8 and layout.moe_dispatcher == "flex"
    layout.fp8 = False
    assert layout.precision == "bf16"
    est = hp.estimate("gpt3/5b", hp.Layout(num_gpus=8, gbs=64, precision="nvfp4"), "h100-sxm")
    assert "no tensor cores for this precision" in est.reason
    with pytest.raises(hp.ConfigError) as err:
        hp.Layout(precision="int4")
    assert "precision" in str(err.value) and "mxfp8" in str(err.value)
    with pytest.raises(ValueError):
        hp.Layout(moe_dispatcher="mpi")


def test_cli_moe_parts_and_offload(cli):
    moe = ["estimate", "--num-layers", "32", "--hidden-size", "4096", "--ffn-hidden-size", "14336",
           "--moe-ffn-hidden-size", "14336", "--moe-num-experts", "8", "--moe-topk", "2", "--num-attention-heads", "32",
           "--num-query-groups", "8", "--vocab-size", "32000", "--seq-length", "4096", "--activation", "swiglu",
           "--gpu", "h100-sxm", "--gpus", "64", "--ep", "8", "--gbs", "256", "--recompute", "full"]
    a2a = cli.json(*moe)
    parts = [a2a[k] for k in ("time.moe_router_s", "time.moe_permute_s", "time.moe_dispatch_s",
                              "time.moe_expert_gemm_s", "time.moe_shared_expert_s")]
    assert all(p >= 0 for p in parts) and a2a["time.moe_expert_gemm_s"] > 0 and a2a["time.moe_dispatch_s"] > 0
    assert a2a["time.moe_dispatch_s"] == pytest.approx(a2a["time.ep_comm_s"])
    gathered = cli.json(*moe, "--moe-dispatcher", "allgather")
    # topk 2 < ep 8: gathering every token moves more than the routed copies.
    assert gathered["time.ep_comm_s"] > a2a["time.ep_comm_s"]
    text = cli.run(*moe, check=True).stdout
    assert "MoE parts" in text and "dispatch comm" in text
    off = cli.json(*moe[:-2], "--activation-offload-layers", "8")
    plain = cli.json(*moe[:-2])
    assert off["memory.activations_bytes"] < plain["memory.activations_bytes"]


@pytest.mark.parametrize("args, key", [
    (["--precision", "int4"], "precision=int4"),
    (["--moe-dispatcher", "mpi"], "moe_dispatcher=mpi"),
    (["--pipeline-split", "middle"], "pipeline_split=middle"),
    (["--activation-offload-layers", "-1"], "activation_offload_layers=-1"),
])
def test_cli_bad_words_exit_2_naming_the_key(cli, args, key):
    proc = cli.run("estimate", "--model", "gpt3/5b", *args)
    assert proc.returncode == 2 and key in proc.stderr


def test_cli_batch_unknown_precision_exits_2_and_writes_nothing(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("num_layers,hidden_size,num_attention_heads,seq_length,gpu_type,num_gpus,gbs,precision\n"
                   "24,2048,16,2048,A100,8,64,int4\n")
    out = tmp_path / "out.csv"
    proc = cli.run("estimate", "--batch", bad, "-o", out)
    assert proc.returncode == 2
    assert "precision (row 1)=int4" in proc.stderr and "nvfp4" in proc.stderr
    assert not out.exists()
