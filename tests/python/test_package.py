"""The package's public surface: __all__, type stubs (_core.pyi) checked against the binding, py.typed, and one
version source (project(hp VERSION ...) in CMakeLists.txt, read by pyproject.toml's regex provider)."""
import ast
import os
import re

import pytest

import bignlp_hp
from bignlp_hp import _core

PKG_DIR = os.path.dirname(bignlp_hp.__file__)


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def _stub():
    with open(os.path.join(PKG_DIR, "_core.pyi"), encoding="utf-8") as f:
        return ast.parse(f.read())


def _runtime_params(func):
    # pybind11 puts the signature on the docstring's first line: name(a: int, *, b: str = 'x') -> T
    first = (func.__doc__ or "").split("\n")[0]
    inside = first[first.index("(") + 1:first.rindex(")")]
    names = []
    depth = 0
    token = ""
    for ch in inside + ",":
        depth += ch in "[(" and 1 or 0
        depth -= ch in "])" and 1 or 0
        if ch == "," and depth == 0:
            token = token.strip()
            if token:
                names.append(token.split(":")[0].split("=")[0].strip().lstrip("*"))
            token = ""
        else:
            token += ch
    return [n for n in names if n and n != "self"]


def test_all_lists_every_public_name_of_the_binding():
    assert set(bignlp_hp.__all__) >= _public(_core)
    for name in bignlp_hp.__all__:
        assert hasattr(bignlp_hp, name), name
    assert len(bignlp_hp.__all__) == len(set(bignlp_hp.__all__))


def test_stub_names_and_parameters_match_the_binding():
    tree = _stub()
    top = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top[node.name] = node
    assert set(top) - {"__version__"} >= _public(_core) - {"__version__"}
    assert {n for n in top if not n.startswith("_")} <= _public(_core)
    for name, node in top.items():
        runtime = getattr(_core, name)
        if isinstance(node, ast.FunctionDef):
            stub_params = [a.arg for a in node.args.args + node.args.kwonlyargs]
            assert stub_params == _runtime_params(runtime), name
        elif isinstance(runtime, type) and not issubclass(runtime, BaseException):
            members = {b.name if isinstance(b, ast.FunctionDef) else b.target.id
                       for b in node.body if isinstance(b, (ast.FunctionDef, ast.AnnAssign))}
            runtime_members = {m for m in vars(runtime) if not m.startswith("_")}
            assert members >= runtime_members, (name, runtime_members - members)


def test_py_typed_marker_ships_with_the_package():
    assert os.path.exists(os.path.join(PKG_DIR, "py.typed"))


def test_version_has_one_source(repo_root):
    with open(os.path.join(repo_root, "CMakeLists.txt"), encoding="utf-8") as f:
        cmake = f.read()
    version = re.search(r"project\(hp VERSION ([0-9.]+)", cmake).group(1)
    assert bignlp_hp.__version__ == version
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(repo_root, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    provider = project["tool"]["scikit-build"]["metadata"]["version"]
    assert provider["input"] == "CMakeLists.txt"
    assert re.search(provider["regex"], cmake).group("value") == version


def test_layout_field_table_reaches_python():
    layout = bignlp_hp.Layout()
    row = bignlp_hp.estimate_table("gpt3/126m", [{"tp": 2, "num_gpus": 8}])[0]
    for f in bignlp_hp.layout_fields():
        assert getattr(layout, f["name"]) == f["default"], f["name"]
        assert f["default"] >= f["min"]
        assert f["name"] in row, f["name"]  # estimate_table's columns
        assert bignlp_hp.Layout(**{f["name"]: 3}).__getattribute__(f["name"]) == 3
    assert row["tp"] == 2
