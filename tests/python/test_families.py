"""Every model family NeMo's auto-configurator takes (issue 10): base configs compared key by key with NVIDIA's
shipped training configs (tests/data/nemo/training, NeMo-Framework-Launcher 26e42fa), the shipped search configs
through the CLI, counts and bad input. Deliberate differences are the lists below, documented in docs/usage.md."""
import json
import os

import pytest
import yaml

import bignlp_hp


def flat(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flat(v, f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = d
    return out


# Keys of NeMo's file we do not write: Hydra composition (defaults, hydra.searchpath) and the H100 TP-overlap
# user-buffer config it selects.
NOT_WRITTEN = {"defaults", "hydra.searchpath", "model.ub_tp_comm_overlap_cfg"}
# Keys we write that the shipped file of that model leaves to NeMo's defaults: one GPT-family layout for all
# five families (the llama3_70b file's key set), the vocabulary (NeMo's own key, used by qwen2 and chatglm).
GPT_FAMILY_LAYOUT = {"model.override_vocab_size", "model.context_parallel_size", "model.num_query_groups",
                     "model.defer_embedding_wgrad_compute", "model.wgrad_deferral_limit", "model.gc_interval",
                     "model.overlap_p2p_comm", "model.batch_p2p_comm", "model.tokenizer.use_fast",
                     "model.cross_entropy_loss_fusion", "model.deterministic_mode", "model.apply_rope_fusion",
                     "model.optim.contiguous_param_buffer", "model.optim.bucket_cap_mb",
                     "model.optim.contiguous_grad_buffer", "exp_manager.seconds_to_sleep"} | {
                     f"model.nsys_profile.{k}" for k in ("enabled", "trace", "start_step", "end_step", "ranks", "gen_shape")}
# Keys of older/other shipped files that the GPT-family layout replaces (sentencepiece tokenizer fields, fused
# attention flags of legacy models, MoE tuning knobs left at Megatron-Core's defaults, ChatGLM data options).
SHIPPED_ONLY = {"model.use_emha", "model.tokenizer.model", "model.tokenizer.delimiter", "model.tokenizer.vocab_file",
                "model.tokenizer.merge_file", "model.tokenizer.sentencepiece_legacy", "model.tokenizer.trust_remote_code",
                "model.get_attention_mask_from_fusion", "model.reduce_amax", "model.precision",
                "model.optim.grad_sync_dtype", "model.seq_len_interpolation_factor",
                "model.moe_pad_expert_input_to_capacity", "model.moe_expert_capacity_factor",
                "model.mcore_customization_config.new_decoder_architecture",
                "model.mcore_customization_config.parallel_attention", "model.data.validation_drop_last",
                "model.data.no_seqlen_plus_one_input_tokens", "model.data.pad_samples_to_global_batch_size",
                "model.data.shuffle_documents"}


def kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def same_kind(ours, theirs):
    if ours is None or theirs is None:
        return True  # null on either side: the key exists, NeMo reads a default or a value
    if isinstance(theirs, str) and theirs.startswith("${"):
        return True  # an OmegaConf interpolation resolves to the value we write
    if isinstance(theirs, str) and isinstance(ours, float):
        try:
            float(theirs)  # PyYAML reads 1e-5 (no dot) as a string; OmegaConf reads a float
            return True
        except ValueError:
            return False
    return kind(ours) == kind(theirs)


@pytest.mark.parametrize("model,shipped", [
    ("llama3_70b", "llama/llama3_70b"), ("llama2_7b", "llama/llama2_7b"), ("mixtral_7b", "mixtral/mixtral_8x7b"),
    ("qwen2_7b", "qwen2/qwen2_7b"), ("baichuan2_7b", "baichuan2/baichuan2_7b"), ("chatglm_6b", "chatglm/chatglm3-6b"),
    ("bert", "bert/110m"),
])
def test_base_config_matches_shipped_training_config(cli, tmp_path, repo_root, model, shipped):
    out = tmp_path / "base.yaml"
    args = ["base-config", "--model", model, "-o", out] + (["--size-b", "0.11"] if model == "bert" else [])
    cli.run(*args, check=True)
    ours = flat(yaml.safe_load(out.read_text()))
    with open(os.path.join(repo_root, "tests", "data", "nemo", "training", f"{shipped}.yaml")) as f:
        theirs = flat(yaml.safe_load(f))
    missing = set(theirs) - set(ours) - NOT_WRITTEN - SHIPPED_ONLY
    extra = set(ours) - set(theirs) - GPT_FAMILY_LAYOUT - {"model.rotary_base", "model.qkv_bias"}
    assert not missing, sorted(missing)
    assert not extra, sorted(extra)
    wrong = [(k, ours[k], theirs[k]) for k in set(ours) & set(theirs) if not same_kind(ours[k], theirs[k])]
    assert not wrong, sorted(wrong)
    # The architecture and NeMo's training values of the shipped file, read back through the library.
    back = bignlp_hp.load_training_config(str(out))
    assert back["num_layers"] == theirs["model.num_layers"] and back["hidden_size"] == theirs["model.hidden_size"]


SHIPPED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "nemo", "search_config")
SHIPPED_FILES = sorted(f"{fam}/{name}" for fam in os.listdir(SHIPPED) for name in os.listdir(os.path.join(SHIPPED, fam)))


@pytest.mark.parametrize("policy", ["nemo", "model"])
def test_every_shipped_search_config_runs(cli, tmp_path, policy):
    """NVIDIA's 46 shipped search configs of the nine families, unchanged, through the CLI: exit 0, a plan."""
    assert len(SHIPPED_FILES) == 46
    for f in SHIPPED_FILES:
        p = cli.run("search", os.path.join(SHIPPED, f), "--policy", policy, "--no-write", "--json")
        assert p.returncode == 0, (f, p.stderr)
        d = json.loads(p.stdout)
        assert d["plan"], f


def test_python_search_and_counts_for_every_family(tmp_path):
    r = bignlp_hp.search(os.path.join(SHIPPED, "mixtral", "7b.yaml"), policy="nemo", write_files=False)
    assert len(r.plan) == 42 and {t["ep"] for t in r.plan} == {1, 2, 4}
    assert bignlp_hp.count_parameters("llama/llama3_70b")["total"] == 70553706496
    assert bignlp_hp.count_parameters("llama3_70b")["total"] == 70553706496
    moe = bignlp_hp.count_parameters("mixtral/mixtral_8x7b")
    assert moe["total"] == 46702792704 and moe["active"] < moe["total"] / 3
    d = bignlp_hp.base_config(model="llama", size_b=70)
    assert d["run_name"] == "llama_70b" and d["num_parameters"] == 70553706496  # the newest 70B: Llama 3
    families = {m["family"] for m in bignlp_hp.list_models()}
    assert families == {"gpt3", "t5", "mt5", "bert", "llama", "mixtral", "qwen2", "baichuan2", "chatglm", "deepseek"}


@pytest.mark.parametrize("yaml_text,needle", [
    ("model: llama\ntrain_settings:\n  model_size_in_b: 7\n  custom_config: ${auto_configurator_path}/base_configs/llama9_7b.yaml\n",
     "train_settings.custom_config=llama9_7b"),
    ("model: gpt5\ntrain_settings:\n  model_size_in_b: 7\n", "model=gpt5"),
    ("model: qwen2\ntrain_settings:\n  model_size_in_b: 30\n", "model_size_in_b=30"),
])
def test_family_bad_input(cli, tmp_path, yaml_text, needle):
    cfg = tmp_path / "search.yaml"
    cfg.write_text(yaml_text)
    out = tmp_path / "results"
    p = cli.run("search", cfg, "--results-dir", out)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()  # nothing partial written
