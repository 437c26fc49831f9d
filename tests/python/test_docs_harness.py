"""The docs test's own machinery can fail: wrong output, a wrong `...`, an unmasked number, a typo in a directive."""

import pytest

from docs_blocks import Block, check_directives, mask, matches, parse_console, parse_markdown
from test_docs import console_failures, populate_workdir, python_failures

DOC = """Intro.

<!-- docs-test: file in.txt -->
```text
hello
```

<!-- docs-test: varies pid \\d+ -->
```console
$ cat in.txt
hello
$ echo pid $$; false
pid 1234
$ echo $?
1
```

  ```console
  $ echo indented
  indented
  ```
"""


def test_parse_markdown_reads_directives_indentation_and_lines():
    blocks = parse_markdown("doc.md", DOC)
    assert [(b.line, b.lang) for b in blocks] == [(4, "text"), (9, "console"), (18, "console")]
    assert blocks[0].directive("file") == ["in.txt"] and blocks[0].text == "hello\n"
    assert blocks[1].directive("varies") == ["pid \\d+"]
    assert [(c.line, c.command, c.expected) for c in parse_console(blocks[1])] == [
        (10, "cat in.txt", "hello\n"), (12, "echo pid $$; false", "pid 1234\n"), (14, "echo $?", "1\n")]
    assert parse_console(blocks[2])[0].expected == "indented\n"


def test_console_blocks_run_in_one_shell_with_files_and_varies(tmp_path):
    blocks = parse_markdown("doc.md", DOC)
    workdir = populate_workdir(tmp_path, blocks[1], blocks)
    assert console_failures(blocks[1], workdir) == []  # $? carries over, the pid is masked, in.txt exists


def test_wrong_output_fails_and_names_the_line(tmp_path):
    block = parse_markdown("doc.md", "text\n\n```console\n$ echo 41\n41\n$ echo 42\n43\n```\n")[0]
    failures = console_failures(block, populate_workdir(tmp_path, block, [block]))
    assert len(failures) == 1 and failures[0].startswith("doc.md:6: $ echo 42")


def test_hp_cli_runs_from_the_build(tmp_path):
    block = parse_markdown("doc.md", "```console\n$ hp-cli models | head -2\nconfig  layers\n```\n")[0]
    failures = console_failures(block, populate_workdir(tmp_path, block, [block]))
    assert len(failures) == 1 and "gpt3/126m" in failures[0]  # it ran, and a wrong header is caught


@pytest.mark.parametrize("want, got, ok", [
    ("a\nb\n", "a\nb\n", True),
    ("a\nb\n", "a\nb  \n\n", True),          # trailing spaces and empty lines
    ("a\nb\n", "a\nc\n", False),
    ("a\n...\nd\n", "a\nb\nc\nd\n", True),
    ("a\n...\nd\n", "a\nd\n", True),          # `...` may stand for no line
    ("a\n...\nd\n", "a\nb\nc\n", False),      # the line after `...` must come
    ("a\n...\n", "a\nb\n", True),
    ("...\nx\n...\ny\n", "1\nx\n2\n3\ny\n", True),
    ("...\ny\n...\nx\n", "1\nx\n2\n3\ny\n", False),  # order counts
    ("a 1.0\n", "a 1.00\n", False),          # numbers match exactly
    ("", "", True),
    ("", "something\n", False),               # a command shown without output must print nothing
])
def test_ellipsis_matching(want, got, ok):
    assert matches(want, got) is ok


def test_masking_is_narrow():
    assert mask("3187 feasible in 0.161 s") == mask("3187 feasible in 0.003 s")
    assert mask("42 layouts in 0.0113 s, 21 fit") == mask("42 layouts in 1.5 s, 21 fit")
    assert mask("evaluated in 0.0240 s (39.08 us per layout)") == mask("evaluated in 1 s (2.5 us per layout)")
    assert mask("SearchResult(trials=10, elapsed_s=0.004)") == mask("SearchResult(trials=10, elapsed_s=1.5)")
    assert mask("GPU-hours: 0.006 for 6 trials on their nodes; full-size trials would have cost 0.009") == \
        mask("GPU-hours: 0.003 for 6 trials on their nodes; full-size trials would have cost 0.004")
    assert mask("trials on the fewest nodes: 2.3 GPU-hours at their time limits (full-size trials: 4.0)") == \
        "trials on the fewest nodes: 2.3 GPU-hours at their time limits (full-size trials: 4.0)"
    # predicted numbers are never masked
    assert mask("step time 10.0278 s | 408.5 tokens/s/GPU") == "step time 10.0278 s | 408.5 tokens/s/GPU"
    assert mask("3187 feasible in 0.161 s") != mask("3188 feasible in 0.161 s")
    assert mask("latency ms 641.94") == "latency ms 641.94"
    assert mask("job 14801 failed", [r"\d+ (?=failed)"]) == "job <varies>failed"


def test_bad_directives_are_reported():
    def block(directives):
        return Block("doc.md", 3, "console", "$ true\n", directives)
    assert check_directives(block([("skip", "(needs a GPU cluster)")])) == []
    assert check_directives(block([("skip", "")]))                      # a reason is required
    assert check_directives(block([("skp", "(typo)")]))                 # unknown name
    assert check_directives(block([("file", "../outside.txt")]))        # stays in the working directory
    assert check_directives(block([("varies", "(")]))                   # not a regular expression


def test_python_blocks_compare_output_and_must_not_print(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok = Block("doc.md", 1, "python", ">>> 6 * 7\n42\n", [])
    wrong = Block("doc.md", 1, "python", ">>> 6 * 7\n41\n", [])
    silent = Block("doc.md", 1, "python", "x = 6 * 7\n", [])
    printing = Block("doc.md", 1, "python", "print(6 * 7)\n", [])
    assert python_failures(ok, tmp_path) == "" and python_failures(silent, tmp_path) == ""
    assert "doctest failed" in python_failures(wrong, tmp_path)
    assert "printed" in python_failures(printing, tmp_path)
    with pytest.raises(ZeroDivisionError):
        python_failures(Block("doc.md", 1, "python", "1 / 0\n", []), tmp_path)
