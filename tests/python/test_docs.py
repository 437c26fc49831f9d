"""Every command and Python example in README.md and docs/*.md runs, and prints what the document shows.

Convention and masking: docs/testing.md, "Docs examples are tests" (and docs_blocks.py)."""

import contextlib
import doctest
import glob
import io
import os
import shutil
import signal
import subprocess
import sys

import pytest

from docs_blocks import check_directives, mask, matches, parse_console, parse_markdown

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = ["README.md"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
# What the examples read, copied into each example's working directory (never the repository itself, so an
# example that writes next to its input cannot change the checkout).
INPUTS = ["examples", "tests/data", "tests/fixtures", "libhp/data"]
BLOCK_TIMEOUT_S = 120
SLOW_BLOCK_TIMEOUT_S = 1800


def _blocks():
    out = []
    for doc in DOCS:
        with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
            out.extend(parse_markdown(doc, f.read()))
    return out


BLOCKS = _blocks()
RUNNABLE = [b for b in BLOCKS if (b.is_console or b.is_python) and not b.directive("file")]


def _is_slow(block):
    """`skip (slow: ...)` blocks run when DOCS_TEST_SLOW=1 (minutes each; not in the default suite)."""
    return any(reason.startswith("(slow") for reason in block.directive("skip"))


def _param(block):
    marks = []
    skip = block.directive("skip")
    if skip and not (_is_slow(block) and os.environ.get("DOCS_TEST_SLOW") == "1"):
        marks.append(pytest.mark.skip(reason=f"{block.id}: {skip[0]}"))
    return pytest.param(block, id=block.id, marks=marks)


def populate_workdir(path, block, blocks=None):
    """The repository's example inputs and the `file` blocks of the block's document, written into path."""
    for rel in INPUTS:
        shutil.copytree(os.path.join(ROOT, rel), path / rel, symlinks=True)
    for other in BLOCKS if blocks is None else blocks:
        if other.path == block.path:
            for name in other.directive("file"):
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                (path / name).write_text(other.text)
    return path


@pytest.fixture
def workdir(tmp_path, request):
    """A fresh working directory per example, so examples never depend on each other's files."""
    return populate_workdir(tmp_path, request.node.callspec.params["block"])


def _bin_dir(tmp_path):
    """hp-cli and python on PATH as the docs call them: the build under test and this interpreter."""
    cli = os.environ.get("HP_CLI") or shutil.which("hp-cli")
    if not cli:
        raise RuntimeError("hp-cli not found: set HP_CLI or put it on PATH")
    bindir = tmp_path / ".docs-bin"
    bindir.mkdir()
    os.symlink(os.path.abspath(cli), bindir / "hp-cli")
    os.symlink(sys.executable, bindir / "python")
    os.symlink(sys.executable, bindir / "python3")
    return bindir


def _run_console(block, workdir):
    """Runs the block's commands in one bash (so `$?` and variables carry over), each output cut at a marker."""
    commands = parse_console(block)
    marker = "@@docs-test-command-{}@@"
    script = ["__rc=0"]
    for i, cmd in enumerate(commands):
        script.append(f"printf '\\n{marker.format(i)}\\n'")
        script.append("(exit $__rc)")
        script.append(cmd.command)
        script.append("__rc=$?")
    script.append(f"printf '\\n{marker.format(len(commands))}\\n'")
    env = dict(os.environ)
    env["PATH"] = f"{_bin_dir(workdir)}{os.pathsep}{env.get('PATH', '')}"
    for name in ("COLUMNS", "LINES", "TERM"):  # output as piped, whatever terminal pytest runs in
        env.pop(name, None)
    # Line-buffered stdout (stdbuf) so that stdout and stderr interleave as on a terminal.
    argv = ["bash", "--noprofile", "--norc", "-c", "\n".join(script)]
    if shutil.which("stdbuf"):
        argv = ["stdbuf", "-oL", "-eL"] + argv
    # Its own process group, so that a timeout ends every process the block started, not only bash.
    proc = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        timeout_s = SLOW_BLOCK_TIMEOUT_S if _is_slow(block) else BLOCK_TIMEOUT_S
        stdout, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"{block.id}: the block ran over {timeout_s} s")
    outputs = []
    for i in range(len(commands)):
        start = stdout.index(f"\n{marker.format(i)}\n") + len(marker.format(i)) + 2
        end = stdout.index(f"\n{marker.format(i + 1)}\n", start - 1)
        outputs.append(stdout[start:end] if end >= start else "")
    return commands, outputs


def _normalize(text, workdir, varies):
    """The working directory reads `$PWD` (the docs show paths as a user's shell would name them)."""
    for path in sorted({str(workdir), os.path.realpath(workdir)}, key=len, reverse=True):
        text = text.replace(path, "$PWD")
    return mask(text, varies)


def console_failures(block, workdir):
    """One message per command whose output differs from the document (after masking)."""
    varies = block.directive("varies")
    commands, outputs = _run_console(block, workdir)
    failures = []
    for cmd, actual in zip(commands, outputs):
        want = _normalize(cmd.expected, workdir, varies)
        got = _normalize(actual, workdir, varies)
        if not matches(want, got):
            failures.append(f"{block.path}:{cmd.line}: $ {cmd.command}\n--- the document shows\n{want}"
                            f"--- the command printed\n{got}")
    return failures


@pytest.mark.parametrize("block", [_param(b) for b in RUNNABLE if b.is_console])
def test_console_block(block, workdir):
    failures = console_failures(block, workdir)
    assert not failures, "\n".join(failures)


class _MaskingChecker(doctest.OutputChecker):
    def __init__(self, workdir, varies):
        self.workdir, self.varies = workdir, varies

    def check_output(self, want, got, optionflags):
        return super().check_output(_normalize(want, self.workdir, self.varies),
                                    _normalize(got, self.workdir, self.varies), optionflags)

    def output_difference(self, example, got, optionflags):
        # The report shows the masked output, ready to paste into the document.
        return super().output_difference(example, _normalize(got, self.workdir, self.varies), optionflags)


def python_failures(block, workdir):
    """Runs a python block in workdir (the caller changes into it): a doctest report, or '' when it passed."""
    if block.is_doctest:
        test = doctest.DocTestParser().get_doctest(block.text, {}, block.id, block.path, block.line)
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        runner = doctest.DocTestRunner(checker=_MaskingChecker(workdir, block.directive("varies")),
                                       optionflags=flags)
        report = io.StringIO()
        runner.run(test, out=report.write)
        return f"{block.id}: doctest failed\n{report.getvalue()}" if runner.failures else ""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block.text, block.id, "exec"), {"__name__": "__docs__"})
    if printed.getvalue():
        return (f"{block.id}: a python block without >>> prompts printed; write it as a doctest so the output is "
                f"compared:\n{printed.getvalue()}")
    return ""


@pytest.mark.parametrize("block", [_param(b) for b in RUNNABLE if b.is_python])
def test_python_block(block, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("PATH", f"{_bin_dir(workdir)}{os.pathsep}{os.environ.get('PATH', '')}")
    failure = python_failures(block, workdir)
    assert not failure, failure


def test_every_command_block_is_tested():
    """A block that shows `$ ` commands but is not tagged console would escape the test: refuse it."""
    problems = []
    for b in BLOCKS:
        problems.extend(check_directives(b))
        if not b.is_console and b.text.lstrip().startswith("$ "):
            problems.append(f"{b.id}: shows '$ ' commands in a ```{b.lang} block; tag it ```console")
        if b.lang in ("py", "python3", "pycon") and b.lang != "pycon":
            problems.append(f"{b.id}: tag Python examples ```python")
        if b.is_console and not b.text.lstrip().startswith("$ "):
            problems.append(f"{b.id}: a console block must start with a '$ ' command")
    assert not problems, "\n".join(problems)


def test_skipped_blocks_are_few_and_listed():
    """The skipped blocks, printed with their reasons (pytest -rs shows them too); few by design."""
    skipped = [(b.id, b.directive("skip")[0]) for b in BLOCKS if b.directive("skip")]
    print(f"{len(skipped)} of {len(RUNNABLE)} runnable doc blocks skipped:")
    for block_id, reason in skipped:
        print(f"  {block_id} {reason}")
    assert len(RUNNABLE) >= 30, "the docs have lost their examples?"
    assert len(skipped) <= 5, "more than 5 skipped doc blocks: make them runnable (smaller inputs, stand-ins)"
