"""Multi-latent attention and DeepSeek-style stacks end to end: catalogue counts, hp-cli estimate / search /
validate / infer-search on DeepSeek-V3 and R1, the Python keywords, and bad MLA input (exit 2 naming the key)."""
import os

import pytest

import bignlp_hp as hp

V3_TOTAL = 671026419200      # DeepSeek-V3 main model (tests/cpp/test_formula_mla.cpp computes it by module)
V2_LITE_TOTAL = 15706484224  # DeepSeek-V2-Lite


def test_catalogue_counts_and_fields():
    assert hp.count_parameters("deepseek/deepseek_v3")["total"] == V3_TOTAL
    assert hp.count_parameters("deepseek/deepseek_r1")["total"] == V3_TOTAL
    assert hp.count_parameters("deepseek/deepseek_v2_lite")["total"] == V2_LITE_TOTAL
    m = hp.ModelSpec.from_catalog("deepseek/deepseek_v3")
    assert (m.multi_latent_attention, m.q_lora_rank, m.kv_lora_rank, m.qk_head_dim, m.qk_pos_emb_head_dim,
            m.v_head_dim) == (True, 1536, 512, 128, 64, 128)
    assert (m.first_k_dense_replace, m.moe_num_experts, m.moe_topk, m.moe_router_enable_expert_bias) == (3, 256, 8, True)
    rows = {r["config"]: r for r in hp.list_models()}
    assert rows["deepseek/deepseek_v2_lite"]["q_lora_rank"] == 0 and rows["deepseek/deepseek_v2_lite"]["published_size_b"] == 15.7


def test_count_parameters_takes_the_mla_keywords():
    base = dict(num_layers=4, hidden_size=512, ffn_hidden_size=1536, num_attention_heads=8, vocab_size=1000,
                seq_length=128, activation="swiglu", normalization="rmsnorm", position_embedding="rope",
                add_bias_linear=False, share_embeddings_and_output_weights=False)
    mla = dict(base, multi_latent_attention=True, q_lora_rank=0, kv_lora_rank=64, qk_head_dim=32,
               qk_pos_emb_head_dim=16, v_head_dim=24)
    c = hp.count_parameters(mla)
    # per layer: q 512 x 8*48, kv_down 512 x 80, kv_up 64 x 8*56, out 8*24 x 512
    assert c["attention"] == 4 * (512 * 384 + 512 * 80 + 64 * 448 + 192 * 512)
    with_mtp = hp.count_parameters(dict(mla, mtp_num_layers=1))
    assert with_mtp["total"] - c["total"] == with_mtp["mtp"] > 0


def test_estimate_deepseek_v3_moe_mla_ep_cli_and_python(cli):
    args = ["estimate", "--model", "deepseek/deepseek_v3", "--gpu", "h100-sxm", "--gpus", "1024", "--tp", "2",
            "--pp", "16", "--ep", "64", "--etp", "1", "--gbs", "8192", "--recompute", "full", "--uneven-pipeline"]
    out = cli.json(*args)
    layout = hp.Layout(num_gpus=1024, tp=2, pp=16, ep=64, etp=1, gbs=8192, recompute="full", uneven_pipeline=True)
    est = hp.estimate("deepseek/deepseek_v3", layout, "h100-sxm")
    assert out["num_parameters"] == pytest.approx(V3_TOTAL, rel=1e-12)
    assert out["step_time_s"] == pytest.approx(est.time.step_time_s, rel=1e-9)
    assert est.time.ep_comm_s > 0 and est.time.moe_expert_gemm_s > 0
    # MFU from Megatron's MLA FLOPs: 6 x 37.5B active per token plus attention, well below the peak.
    assert 0.05 < est.mfu < 0.6
    # The same architecture as plain multi-head attention of 128 heads would be a different model: MLA matters.
    mha = hp.ModelSpec.from_catalog("deepseek/deepseek_v3")
    mha.multi_latent_attention = False
    for k in ("q_lora_rank", "kv_lora_rank", "qk_head_dim", "qk_pos_emb_head_dim", "v_head_dim"):
        setattr(mha, k, 0)
    assert hp.estimate(mha, layout, "h100-sxm").num_parameters != est.num_parameters


def test_validate_evaluates_the_mla_rows(cli, repo_root):
    proc = cli.run("validate", "--runs", check=True)
    assert "MLA attention is not modelled" not in proc.stdout
    v3 = [line for line in proc.stdout.splitlines() if line.strip().split(" ")[0] in {"529", "530", "531", "532", "533"}]
    assert len(v3) == 5, proc.stdout[-3000:]


def test_search_deepseek_v3(cli, tmp_path):
    cfg = tmp_path / "ds.yaml"
    cfg.write_text("model: deepseek\ntrain_settings:\n  model_size_in_b: 671\n  num_nodes: 128\n  gpus_per_node: 8\n"
                   "  gpu: h100-sxm\n  custom_config: ${auto_configurator_path}/base_configs/deepseek_v3.yaml\n"
                   "  tensor_parallel_sizes: [2]\n  pipeline_parallel_sizes: [1, 7]\n  expert_parallel_sizes: [32, 64]\n"
                   "  micro_batch_sizes: [1]\n")
    out = cli.json("search", str(cfg), "--no-write")
    # 61 layers: PP 7 only with the embedding and loss as layers (63 slots); the best layout is MoE with EP.
    assert out["feasible"] > 0 and out["plan"][0]["ep"] in (32, 64), out["summary"]
    assert {t["pp"] for t in out["plan"]} <= {1, 7}


def test_infer_search_deepseek_r1(cli, tmp_path):
    cfg = tmp_path / "r1.yaml"
    cfg.write_text("inference_settings:\n  model: deepseek/deepseek_r1\n  gpu: h200\n  data_type: fp8\n"
                   "  tensor_parallel_sizes: [8]\n  pipeline_parallel_sizes: [1, 2]\n  max_batch_sizes: [1, 8, 32]\n"
                   "  input_seq_lengths: [1000]\n  output_seq_lengths: [1000]\n")
    out = cli.json("infer-search", str(cfg), "--results-dir", str(tmp_path / "res"))
    assert out["num_fit"] > 0
    e = hp.estimate_inference(model="deepseek/deepseek_r1", gpu="h200", tp=8, weight_dtype="fp8", batch_size=8,
                              input_len=1000, output_len=1000)
    # Latent cache: 61 layers x (512 + 64) x 1 byte per token, whole on every TP rank.
    assert e["kv_cache_bytes"] == pytest.approx(8 * 2000 * 61 * 576 * 1, rel=1e-12)


@pytest.mark.parametrize("flags, key", [
    (["--kv-lora-rank", "0"], "kv_lora_rank=0"),
    (["--qk-pos-emb-head-dim", "63"], "qk_pos_emb_head_dim=63"),
    (["--v-head-dim", "0"], "v_head_dim=0"),
    (["--first-k-dense-replace", "61"], "first_k_dense_replace=61"),
])
def test_bad_mla_input_exits_2_naming_key_and_value(cli, flags, key):
    proc = cli.run("estimate", "--model", "deepseek/deepseek_v3", "--gpus", "1024", "--tp", "2", "--pp", "16",
                   "--ep", "64", "--gbs", "8192", "--uneven-pipeline", *flags)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert key in proc.stderr


def test_bad_mla_input_in_python_is_a_value_error():
    with pytest.raises(ValueError, match="kv_lora_rank=0"):
        hp.count_parameters({"num_layers": 2, "hidden_size": 256, "num_attention_heads": 4, "position_embedding": "rope",
                             "multi_latent_attention": True, "kv_lora_rank": 0, "qk_head_dim": 32,
                             "qk_pos_emb_head_dim": 16, "v_head_dim": 32})


def test_mla_property_any_valid_dims_count_and_estimate(cli):
    """Property: for valid MLA dimensions the count equals the module formula and estimate succeeds; the
    latent cache grows with kv_lora_rank + qk_pos_emb_head_dim only (not with heads)."""
    import random
    rng = random.Random(15)
    for _ in range(25):
        h, a = rng.choice([256, 384, 512]), rng.choice([2, 4, 8])
        qr, kvr = rng.choice([0, 64, 96]), rng.choice([32, 48, 128])
        d, r, v = rng.choice([16, 24, 40]), rng.choice([8, 16, 32]), rng.choice([16, 24, 48])
        m = dict(num_layers=3, hidden_size=h, ffn_hidden_size=2 * h, num_attention_heads=a, vocab_size=512,
                 seq_length=256, activation="swiglu", normalization="rmsnorm", position_embedding="rope",
                 add_bias_linear=False, share_embeddings_and_output_weights=False, multi_latent_attention=True,
                 q_lora_rank=qr, kv_lora_rank=kvr, qk_head_dim=d, qk_pos_emb_head_dim=r, v_head_dim=v)
        q = h * qr + qr * a * (d + r) if qr else h * a * (d + r)
        assert hp.count_parameters(m)["attention"] == 3 * (q + h * (kvr + r) + kvr * a * (d + v) + a * v * h)
        spec = hp.ModelSpec(**m)
        est = hp.estimate(spec, hp.Layout(num_gpus=2, tp=2 if a % 2 == 0 else 1, gbs=4), "h100-sxm")
        assert est.fits and est.time.step_time_s > 0


V2_LITE_ARCH = {"num_layers": 27, "hidden_size": 2048, "num_attention_heads": 16, "ffn_hidden_size": 10944,
                "vocab_size": 102400, "max_position_embeddings": 32768, "moe_num_experts": 64, "moe_topk": 6,
                "moe_ffn_hidden_size": 1408, "moe_shared_expert_ffn_size": 2816, "first_k_dense_replace": 1,
                "kv_lora_rank": 512, "qk_head_dim": 128, "qk_pos_emb_head_dim": 64, "v_head_dim": 128}


def test_serving_architecture_takes_the_mla_and_layer_pattern_keys():
    arch = {k: str(v) for k, v in V2_LITE_ARCH.items()}
    mla = hp.estimate_serving(model="my-v2-lite", architecture=arch, gpu="h100-sxm", tp=1, weight_dtype="bf16",
                              input_len=1000, output_len=1000)
    # The same model with per-head K/V (no kv_lora_rank): 16 heads x (128 + 128) per token and layer in bf16.
    plain = {k: v for k, v in arch.items() if k not in ("kv_lora_rank", "qk_head_dim", "qk_pos_emb_head_dim", "v_head_dim")}
    mha = hp.estimate_serving(model="my-v2-lite", architecture=plain, gpu="h100-sxm", tp=1, weight_dtype="bf16",
                              input_len=1000, output_len=1000)
    assert mla["fits"] and mha["fits"]
    assert mla["kv_bytes_per_token"] == pytest.approx(27 * 576 * 2, rel=1e-12)
    assert mha["kv_bytes_per_token"] == pytest.approx(27 * 2 * 16 * 128 * 2, rel=1e-12)
    assert mla["max_concurrency"] > mha["max_concurrency"]
    with pytest.raises(ValueError, match="qk_pos_emb_head_dim"):
        hp.estimate_serving(model="x", architecture=dict(arch, qk_pos_emb_head_dim="63"), gpu="h100-sxm")
