"""Extracts the runnable examples of README.md and docs/*.md, runs them and compares what they print.

The convention (docs/testing.md, "Docs examples are tests"):
- a fenced block tagged `console` is a terminal session: each `$ ` line is a command run by bash in a fresh
  working directory, the lines up to the next `$ ` are what it prints (stdout and stderr together);
- a line that is only `...` in the expected output stands for any number of lines (the docs shorten long
  tables that way); nothing else is skipped;
- a fenced `python` block with `>>>` prompts is a doctest (ELLIPSIS: `...` inside a line matches anything);
  a `python` block without prompts must run without an exception and print nothing;
- `<!-- docs-test: file NAME -->` before a fenced block makes its text the file NAME in the working directory
  of every example of that document (the input files a command needs are shown, not described in prose);
- `<!-- docs-test: skip (REASON) -->` before a block keeps it from running; the reason is required and the
  test lists every skipped block;
- `<!-- docs-test: varies REGEX -->` before a block masks what REGEX matches, in the expected and the actual
  output, for values that differ from run to run (process ids); a timing printed by the tool is masked
  everywhere by TIMING_PATTERNS below.
"""

import dataclasses
import re

DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(\w+)\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")

# Values that measure wall time, masked in expected and actual output alike. Each names the context the
# number appears in, so a predicted time (step_s, latency ms, TTFT) is never masked.
TIMING_PATTERNS = [
    # "... 3187 feasible in 0.161 s", "42 layouts in 0.0113 s", "slurm-local up in 3.3s"
    (re.compile(r"\b(feasible|layouts|evaluated|up) in [0-9.]+ ?s\b"), r"\1 in <time> s"),
    # --profile: "613 serving layouts evaluated in 0.0240 s (39.08 us per layout)",
    # "3187 feasible; search 0.0023 s (0.419 us per layout), writing 0.0000 s"
    (re.compile(r"\([0-9.]+ (us|ms|ns) per (\w+)\)"), r"(<time> \1 per \2)"),
    (re.compile(r"\b(feasible; search|, writing) [0-9.]+ s\b"), r"\1 <time> s"),
    # GPU-hours the executed trials held (their wall time): "GPU-hours: 0.006 for 6 trials on their nodes;
    # full-size trials would have cost 0.009" (the plan's "2.3 GPU-hours at their time limits" is not masked)
    (re.compile(r"\bGPU-hours: [0-9.]+ for (\d+ trials?) on their nodes; full-size trials would have cost [0-9.]+"),
     r"GPU-hours: <time> for \1 on their nodes; full-size trials would have cost <time>"),
    # SearchResult(..., elapsed_s=0.004), JSON "elapsed_s": 0.004
    (re.compile(r"\b(elapsed_s|evaluate_s)(=|\"?: )[0-9.eE+-]+"), r"\1\2<time>"),
]


@dataclasses.dataclass
class Block:
    path: str            # file, relative to the repository root
    line: int            # 1-based line of the opening fence
    lang: str
    text: str            # the lines between the fences, dedented by the fence's indentation
    directives: list     # [(name, argument)] from the comment lines just above the fence

    @property
    def id(self):
        return f"{self.path}:{self.line}"

    def directive(self, name):
        return [arg for n, arg in self.directives if n == name]

    @property
    def is_console(self):
        return self.lang == "console"

    @property
    def is_python(self):
        return self.lang in ("python", "pycon")

    @property
    def is_doctest(self):
        return self.is_python and any(line.lstrip().startswith(">>>") for line in self.text.splitlines())


def parse_markdown(path, text):
    """Every fenced block of a Markdown file with the docs-test directives written just above it."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3)
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1  # the closing fence
        directives = []
        j = start - 1
        while j >= 0 and (not lines[j].strip() or DIRECTIVE.match(lines[j])):
            d = DIRECTIVE.match(lines[j])
            if d:
                directives.insert(0, (d.group(1), d.group(2)))
            j -= 1
        blocks.append(Block(path, start + 1, lang, "\n".join(body) + ("\n" if body else ""), directives))
    return blocks


def check_directives(block):
    """Bad directives are errors, so a typo cannot silently turn a test off."""
    problems = []
    for name, arg in block.directives:
        if name == "skip":
            if not re.fullmatch(r"\(.+\)", arg):
                problems.append(f"{block.id}: 'skip' needs a reason in parentheses: skip (needs a GPU cluster)")
        elif name == "file":
            if not re.fullmatch(r"[\w.-]+(/[\w.-]+)*", arg) or arg.startswith("/") or ".." in arg.split("/"):
                problems.append(f"{block.id}: 'file' needs a relative file name, got {arg!r}")
        elif name == "varies":
            try:
                re.compile(arg)
            except re.error as e:
                problems.append(f"{block.id}: 'varies' needs a regular expression: {e}")
        else:
            problems.append(f"{block.id}: unknown docs-test directive {name!r} (skip, file, varies)")
    return problems


@dataclasses.dataclass
class Command:
    line: int            # 1-based line in the Markdown file
    command: str
    expected: str


def parse_console(block):
    """The `$ ` commands of a console block with the output shown after each."""
    commands = []
    for offset, line in enumerate(block.text.splitlines()):
        if line.startswith("$ "):
            commands.append(Command(block.line + 1 + offset, line[2:], ""))
        elif commands and commands[-1].command.endswith("\\") and not commands[-1].expected:
            commands[-1].command += "\n" + line  # a continued command line
        elif commands:
            commands[-1].expected += line + "\n"
        elif line.strip():
            raise ValueError(f"{block.path}:{block.line + 1 + offset}: console block text before the first '$ '")
    return commands


def mask(text, varies=()):
    for pattern, replacement in TIMING_PATTERNS:
        text = pattern.sub(replacement, text)
    for regex in varies:
        text = re.sub(regex, "<varies>", text, flags=re.M)
    return text


def matches(expected, actual):
    """True when the actual lines equal the expected ones, a line `...` standing for any number of lines.

    Trailing spaces and trailing empty lines are ignored (a Markdown editor strips them)."""
    want = [line.rstrip() for line in expected.rstrip("\n").split("\n")] if expected.strip() else []
    got = [line.rstrip() for line in actual.rstrip("\n").split("\n")] if actual.strip() else []

    # Classic wildcard matching over lines, "..." being "*": O(len(want) * len(got)) worst case.
    w = g = 0
    star_w, star_g = -1, 0
    while g < len(got):
        if w < len(want) and want[w].strip() == "...":
            star_w, star_g = w, g
            w += 1
        elif w < len(want) and want[w] == got[g]:
            w += 1
            g += 1
        elif star_w >= 0:
            star_g += 1
            g = star_g
            w = star_w + 1
        else:
            return False
    while w < len(want) and want[w].strip() == "...":
        w += 1
    return w == len(want)
