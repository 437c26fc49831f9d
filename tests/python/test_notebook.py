"""The notebook API (issue 16): readable reprs and HTML tables, typed values under the CLI's JSON names, nullable
pandas dtypes, a short TypeError for a misspelled keyword or a wrong type, docstrings, no files unless asked."""
import inspect
import os
import pathlib

import pytest

import bignlp_hp as hp

SEARCH = {"model": "gpt3", "train_settings": {"model_size_in_b": 5, "num_nodes": 16, "limit_search_runs": 4,
                                              "micro_batch_sizes": [1, 2]}}
LLAMA70B = {"num_layers": 80, "hidden_size": 8192, "num_attention_heads": 64, "num_query_groups": 8,
            "ffn_hidden_size": 28672, "vocab_size": 128256, "max_position_embeddings": 131072}


@pytest.fixture(scope="module")
def search_result():
    return hp.search(SEARCH)


@pytest.fixture(scope="module")
def inference_result():
    return hp.inference_search(model="gpt3/5b", gpu="a100-80gb", tensor_parallel_sizes=[1, 2],
                               pipeline_parallel_sizes=[1], batch_sizes=[1, 16, 256], max_latency_ms=400, top_n=2)


@pytest.fixture(scope="module")
def serving_result():
    return hp.serving_search(architecture=LLAMA70B, model="llama-3.1-70b", gpu="h100-sxm", data_type="fp8",
                             tensor_parallel_sizes=[2, 4], pipeline_parallel_sizes=[1], input_seq_lengths=[1000],
                             output_seq_lengths=[1000], max_tpot_ms=50, disaggregated=True, max_gpus=8)


# ---- reprs ----

def test_every_exported_class_has_its_own_repr():
    for name in hp.__all__:
        obj = getattr(hp, name)
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            assert obj.__repr__ is not object.__repr__, name


def test_core_object_reprs_show_values():
    e = hp.estimate("gpt3/5b", {"num_gpus": 8, "tp": 2})
    text = repr(e)
    assert text.startswith("Estimate(fits=True, step_time_s=") and "mfu=" in text and "memory_gib=" in text
    assert repr(e.memory).startswith("MemoryBreakdown(total_gib=") and "weights_gib=" in repr(e.memory)
    assert repr(e.time).startswith("TimeBreakdown(step_time_s=") and "compute_s=" in repr(e.time)
    assert f"{e.time.step_time_s:.4g}" in text
    oom = hp.estimate("gpt3/175b", {"num_gpus": 8})
    assert "fits=False" in repr(oom) and "reason='out of memory'" in repr(oom)
    layout = hp.Layout(tp=2, num_gpus=8, recompute="full")
    assert repr(layout).startswith("Layout(num_gpus=8, tp=2, ")
    assert "recompute='full'" in repr(layout)
    assert "sequence_parallel" not in repr(hp.Layout())  # switches only when they differ from the default
    assert repr(hp.default_calibration("h100-sxm")).startswith("Calibration(gpu_family='hopper'")
    assert "memory_gib=80" in repr(hp.find_gpu("h100-sxm"))
    assert "num_layers=24" in repr(hp.ModelSpec.from_catalog("gpt3/5b"))
    assert "name=" in repr(hp.JobRequest()) and repr(hp.make_executor("none")) == "<Executor 'none'>"
    for obj in (e, e.memory, e.time, layout, hp.JobStatus("running")):
        assert "object at 0x" not in repr(obj)


def test_result_reprs_and_html_tables(search_result, inference_result, serving_result):
    r = search_result
    text = repr(r)
    assert "gpt3_5b on 16 x 8" in text and f"{r.feasible} feasible in" in text and "best: tp=" in text
    assert r.best["config_name"] in text and "written" not in text
    html = r._repr_html_()
    assert html.startswith("<table>") and "<th>predicted_step_time_s</th>" in html and r.best["config_name"] in html
    assert "best TP" in repr(inference_result) and "samples/s/GPU" in repr(inference_result)
    assert "<th>latency_ms</th>" in inference_result._repr_html_()
    assert "tok/s/GPU" in repr(serving_result) and "<th>tokens_per_s_per_gpu</th>" in serving_result._repr_html_()
    rows = hp.estimate_table("gpt3/5b", [{"num_gpus": 8, "tp": t} for t in (1, 2)])
    assert isinstance(rows, list) and "<th>time.step_time_s</th>" in rows._repr_html_()
    assert "<th>quantity</th>" in hp.estimate("gpt3/5b", {"num_gpus": 8})._repr_html_()


# ---- typed values, the CLI's names ----

def test_inference_rows_are_typed_and_named_as_the_cli_json(cli, repo_root, tmp_path, inference_result):
    r = inference_result
    b = r.best
    assert type(b["tp"]) is int and type(b["batch_size"]) is int and type(b["latency_ms"]) is float
    assert b["fits"] is True and b["within_bound"] is True and b["rank"] == 1
    assert b["measured_latency_ms"] is None and b["latency_source"] == "predicted"
    assert all(row["rank"] is None for row in r.rows if not row["within_bound"])
    j = cli.json("infer-search", os.path.join(repo_root, "examples", "inference", "gpt3_5b.yaml"),
                 "--results-dir", tmp_path)
    assert list(j["best"]) == list(b)  # the same names, in the same order
    assert all(type(j["best"][k]) is type(v) for k, v in b.items() if v is not None)


def test_inference_and_serving_frames_have_nullable_dtypes(inference_result, serving_result):
    pd = pytest.importorskip("pandas")
    df = inference_result.to_pandas()
    assert str(df["tp"].dtype) == "Int64" and str(df["rank"].dtype) == "Int64"
    assert str(df["fits"].dtype) == "boolean" and str(df["latency_ms"].dtype) == "Float64"
    assert str(df["measured_latency_ms"].dtype) == "Float64" and df["measured_latency_ms"].isna().all()
    assert df["rank"].isna().sum() == sum(1 for row in inference_result.rows if row["rank"] is None) > 0
    s = serving_result.to_pandas()
    assert str(s["prefill_tp"].dtype) == "Int64" and str(s["within_bounds"].dtype) == "boolean"
    agg = s[s["kind"] == "aggregated"]
    assert agg["prefill_tp"].isna().all() and agg["kv_transfer_ms"].isna().all()
    assert serving_result.best["within_bounds"] is True and type(serving_result.best["ttft_ms"]) is float
    assert isinstance(df, pd.DataFrame)


def test_training_frame_types_rank_and_one_name_per_quantity(cli, repo_root, search_result):
    pytest.importorskip("pandas")
    r = search_result
    df = r.to_pandas()
    assert list(df["rank"]) == list(range(1, len(df) + 1)) and str(df["rank"].dtype) == "Int64"
    for col in ("fits", "planned", "sequence_parallel", "distributed_optimizer", "fp8"):
        assert str(df[col].dtype) == "boolean", col
    assert str(df["act_ckpt_layers"].dtype) == "Int64" and (df["act_ckpt_layers"].dropna() >= 0).all()
    assert "memory_per_gpu_gib" not in df.columns and str(df["predicted_memory_per_gpu_gib"].dtype) == "Float64"
    assert int(df["planned"].sum()) == len(r.plan) == 4
    assert df.iloc[0]["config_name"] == r.best["config_name"]
    # a trial on all nodes is the ranked layout itself: the same quantities under the same names (trial_nodes="min"
    # plans run a smaller trial: its nodes, gbs and predicted_trial_*, next to the full-size predictions)
    full = hp.search(SEARCH, trial_nodes="full")
    top, best = full.to_pandas().iloc[0], full.best
    for name in ("tp", "pp", "mbs", "gbs", "predicted_step_time_s", "predicted_memory_per_gpu_gib"):
        assert top[name] == pytest.approx(best[name]), name
    none_rows = [t for t in r.plan if t["act_ckpt_layers"] is None]
    for t in none_rows:
        assert pd_isna(df.loc[df["config_name"] == t["config_name"], "act_ckpt_layers"].iloc[0])
    cfg = os.path.join(repo_root, "examples", "search", "gpt3_5b.yaml")
    j = cli.json("search", cfg, "--no-write")
    assert list(j["plan"][0]) == list(hp.search(cfg).best)  # the plan's names are the CLI's
    scalars = {k for k, v in j.items() if not isinstance(v, (list, dict))}
    assert scalars <= set(vars(r)), scalars - set(vars(r))  # and so are the result's


def pd_isna(value):
    import pandas as pd

    return pd.isna(value)


# ---- errors ----

def test_misspelled_keyword_is_a_short_type_error():
    with pytest.raises(TypeError) as info:
        hp.estimate_inference(model="gpt3/5b", tpp=2)
    msg = str(info.value)
    assert "'tpp'" in msg and "did you mean 'tp'" in msg and "accepted: model, gpu, tp, pp" in msg
    assert len(msg) < 300 and "_core" not in msg and "incompatible" not in msg
    assert isinstance(info.value, hp.ConfigError)  # still a ValueError subclass for code that catches those
    with pytest.raises(TypeError, match=r"search\(\): unknown keyword 'polcy' \(did you mean 'policy'\?\)"):
        hp.search(SEARCH, polcy="nemo")
    with pytest.raises(TypeError, match=r"inference_search\(\): unknown keyword 'batch_size' \(did you mean"):
        hp.inference_search(model="gpt3/5b", batch_size=[1])
    with pytest.raises(TypeError, match=r"Layout: unknown keyword 'tpp' \(did you mean 'tp'\?\); accepted: .*cp"):
        hp.Layout(tpp=2)
    with pytest.raises(TypeError, match="unknown keyword 'tpp'"):
        hp.estimate("gpt3/5b", {"tpp": 2})
    with pytest.raises(TypeError, match="hidden_sise=1: unknown model field; accepted: "):
        hp.count_parameters({"hidden_sise": 1})


def test_wrong_types_are_short_type_errors(tmp_path):
    with pytest.raises(TypeError, match=r"estimate_inference\(\): tp='2' \(str\), expected int"):
        hp.estimate_inference(model="gpt3/5b", tp="2")
    with pytest.raises(TypeError, match=r"Layout: tp='2' has type str, expected int"):
        hp.Layout(tp="2")
    with pytest.raises(TypeError, match="layout=5: expected a Layout or a dict"):
        hp.estimate("gpt3/5b", 5)
    with pytest.raises(TypeError, match=r"inference_search\(\): tensor_parallel_sizes=\['1'\]"):
        hp.inference_search(model="gpt3/5b", tensor_parallel_sizes=["1"])
    with pytest.raises(TypeError, match="missing a required argument: 'model'"):
        hp.estimate_inference()
    out = tmp_path / "c.yaml"
    hp.base_config(model="gpt3", size_b=5, output=out)
    assert hp.load_training_config(pathlib.Path(out))["num_layers"] == 24  # a path-like where a path is


# ---- docstrings and signatures ----

def test_public_functions_document_what_they_return_with_an_example():
    for name in hp.__all__:
        obj = getattr(hp, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            assert "Returns" in doc or "returns" in doc.lower(), name
            assert ">>> " in doc, name
    assert "Returns a :class:`SearchResult`" in hp.search.__doc__
    sig = inspect.signature(hp.search)
    assert sig.parameters["results_dir"].default is None
    assert "tp" in inspect.signature(hp.estimate_inference).parameters


# ---- files only when asked ----

def test_python_searches_write_nothing_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = hp.search(SEARCH)
    assert r.results_dir == "" and r.plan
    inf = hp.inference_search(model="gpt3/5b", tensor_parallel_sizes=[1], batch_sizes=[1])
    assert inf.summary_dir is None and inf.files == []
    hp.serving_search(architecture=LLAMA70B, model="llama-3.1-70b", tensor_parallel_sizes=[8],
                      input_seq_lengths=[1000], output_seq_lengths=[100])
    hp.base_config(model="gpt3", size_b=5)
    assert os.listdir(tmp_path) == []
    written = hp.search(SEARCH, results_dir=tmp_path / "res")
    assert written.results_dir and (tmp_path / "res" / "plan.yaml").is_file()
    inf = hp.inference_search(model="gpt3/5b", tensor_parallel_sizes=[1], batch_sizes=[1], results_dir=tmp_path / "inf")
    assert os.path.isfile(os.path.join(inf.summary_dir, "final_output.csv"))


def test_docstring_examples_run(repo_root, monkeypatch):
    """Every example in a public docstring that needs no file of the user's runs and prints what it says."""
    import doctest

    monkeypatch.chdir(repo_root)  # examples/ paths
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    objects = [getattr(hp, n) for n in hp.__all__] + [hp.SearchResult.to_pandas]
    ran = 0
    for obj in objects:
        if callable(obj) and obj.__doc__ and ">>>" in obj.__doc__:
            test = parser.get_doctest(obj.__doc__, {"bignlp_hp": hp}, getattr(obj, "__name__", "?"), None, 0)
            runner.run(test)
            ran += sum(1 for e in test.examples if not e.options.get(doctest.SKIP))
    assert runner.summarize(verbose=False).failed == 0
    assert ran >= 25


def test_constructors_and_any_object_parameters_check_their_arguments():
    assert repr(hp.JobRequest(name="t", argv=["run", "--x"], num_nodes=2)).startswith(
        "JobRequest(name='t', argv=['run', '--x'], num_nodes=2")
    with pytest.raises(TypeError, match=r"JobStatus\(\): unknown keyword 'exit_cod' \(did you mean 'exit_code'\?\); "
                                        r"accepted: state, exit_code, signal, scheduler_state$"):
        hp.JobStatus("failed", exit_cod=1)
    with pytest.raises(TypeError, match=r"JobRequest: num_nodes='2' has type str, expected int"):
        hp.JobRequest(num_nodes="2")
    with pytest.raises(TypeError, match=r"search\(\): config=5 \(int\), expected a YAML path or a dict"):
        hp.search(5)
    with pytest.raises(TypeError, match=r"run_search\(\): executor=5 \(int\)"):
        hp.run_search(SEARCH, executor=5)
    with pytest.raises(TypeError, match=r"estimate_table\(\): layouts\[1\]=5 \(int\)"):
        hp.estimate_table("gpt3/5b", [{"num_gpus": 8}, 5])
    with pytest.raises(TypeError, match=r"make_executor\(\): settings=\{'a': 1\} \(dict\), expected Dict\[str, str\]"):
        hp.make_executor("local", {"a": 1})


def test_reprs_when_nothing_fits():
    tiny = {"model": "gpt3", "train_settings": {"model_size_in_b": 175, "num_nodes": 1}}
    r = hp.search(tiny, raise_if_none=False)
    assert "0 feasible" in repr(r) and "no feasible layout: " in repr(r) and "<table>" in r._repr_html_()
    assert len(r.to_pandas()) == 0 and "predicted_memory_per_gpu_gib" in r.to_pandas().columns
    inf = hp.inference_search(model="gpt3/5b", tensor_parallel_sizes=[1], batch_sizes=[256], max_latency_ms=1)
    assert inf.best is None and "best none within the latency bound" in repr(inf) and "<table>" in inf._repr_html_()
    srv = hp.serving_search(architecture=LLAMA70B, model="llama-3.1-70b", tensor_parallel_sizes=[8],
                            input_seq_lengths=[1000], output_seq_lengths=[100], max_tpot_ms=0.01)
    assert srv.best is None and "lowest reachable TPOT" in repr(srv)
