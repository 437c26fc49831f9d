#!/usr/bin/env python3
"""Mutation testing of the formula files: seed one plausible bug at a time, rebuild, run the fast unit suite.

    scripts/mutation.py [--max 60] [--seed 17] [--files libhp/src/perf_memory.cpp ...] [--report docs/mutation.md]

Copies the working tree (git ls-files) into build-mutation/ (ignored by git; same relative layout as build/, so
ccache with CCACHE_BASEDIR reuses the objects of a normal build), configures it once (no Python module, no
benchmarks), then for each sampled mutant: writes the mutated file, rebuilds hp_tests incrementally, runs it on the
fast unit suite and restores the file. A mutant is killed when the suite fails (or times out), survives when it
passes, and is not counted when it does not compile. Prints, and writes to --report, the share killed per file and
overall and every surviving mutant, so a test can be written to kill it. Never touches the working tree itself.
--seeded runs the hand-seeded bugs of issue 17 (SEEDED below) instead of sampled mutants; --survivors REPORT reruns
the surviving mutants an earlier report lists. Each mutant first meets the tests tagged for its file (FOCUS), then
the rest of the suite. Mutants judged equivalent by hand (EQUIVALENT, with the reason) are reported, not counted.

Mutation operators (issue 17): arithmetic (+ - * /), comparisons (< <= > >= == !=), constants (n -> n+1, x.y ->
2*x.y), logic (&& ||, true false), std::min <-> std::max, and swapped arguments of two-argument calls.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMULA_FILES = [
    "libhp/src/perf_memory.cpp", "libhp/src/perf_time.cpp", "libhp/src/perf_shape.cpp", "libhp/src/perf_nemo.cpp",
    "libhp/src/inference_model.cpp", "libhp/src/logs.cpp", "libhp/src/nemo_policy.cpp",
]
# The fast unit suite: everything but the runner tests that start processes and the hidden canaries.
DEFAULT_SPEC = "~[runner]~[slurm]~[.]"
# Slow cases (minutes on a loaded machine) run last, so that a mutant killed by a fast case costs no more.
SLOW_CASES = ['"inference validation: error against published TensorRT-LLM and FasterTransformer tables"']
# The tags that test each file run first (seconds), then the rest of the fast suite, then the slow cases: every
# mutant still meets the whole suite before it counts as surviving, a killed one stops at the first failure.
FOCUS = {
    "libhp/src/perf_nemo.cpp": ["[nemo_config]", "[perf]"],
    "libhp/src/perf_": ["[perf]", "[model]"],
    "libhp/src/inference_model.cpp": ["[inference]", "[serving]"],
    "libhp/src/logs.cpp": ["[logs]", "[runs]"],
    "libhp/src/nemo_policy.cpp": ["[nemo]"],
}
# Lines on which no mutant can change behaviour (judged by hand): default member initializers that every path
# overwrites before reading, or that are read only where they were overwritten. Keyed by (file, stripped line).
_OVERWRITTEN = "a default member initializer that every path assigns before reading it"
EQUIVALENT_LINES = {
    **{("libhp/src/inference_model.cpp", line): _OVERWRITTEN for line in (
        "double qkv = 0;           ///< h * (a + 2g) * d (+ bias)",
        "double proj = 0;          ///< a * d * h (+ bias)",
        "double mlp_total = 0;     ///< all experts (memory)",
        "double mlp_active = 0;    ///< experts used per token (FLOPs)",
        "double kv_heads = 0;      ///< K/V heads",
        "double heads = 0;", "double head_dim = 0;", "double hidden = 0;", "double ffn = 0;",
        "double weight_b = 2, kv_b = 2;", "double gemm_peak = 0, attn_peak = 0, mem_bw = 0;", "double tp = 1;",
        "double kv_heads_per_gpu = 1;",
        "double kv_heads_read_per_gpu = 1;  ///< K/V heads whose cache one decode step reads (GQA reuse)",
        "double compute_s = 0;  ///< GEMMs (compute- or weight-read-bound)",
        "double kv_s = 0;       ///< attention (compute- or KV-read-bound)",
        "double comm_s = 0;     ///< TP all-reduces",
        "double overhead_s = 0; ///< per-layer fixed cost")},
    **{("libhp/src/inference_model.cpp", line): "read only on the T5 paths (cross_len > 0), where layer_shape sets it"
       for line in ("double cross_q = 0;       ///< T5 decoder cross-attention: Q and output projection",
                    "double cross_kv = 0;      ///< T5 decoder cross-attention: K and V projection (of the encoder output)")},
    **{("libhp/src/perf_time.cpp", line): _OVERWRITTEN for line in (
        "double gemm = 0;         // forward dense GEMM FLOPs of one layer, one micro-batch, one GPU",
        "double attn = 0;         // forward attention-core FLOPs (QK^T and AV), same scope")},
    **{("libhp/src/perf_time.cpp", line): "a dense layer's expert FLOPs are 0, and gemm_seconds(0, ...) is 0 whatever "
       "the size and tile share; MoE layers set it" for line in (
        "double expert_size = 1;  // FLOPs of the grouped GEMM over all local experts (one kernel)",
        "double expert_tile = 1;  // share of the 128-row tiles holding real tokens (tile quantization)")},
    **{("libhp/src/perf_memory.cpp", line): _OVERWRITTEN for line in (
        "double stored = 0;      // bytes kept per layer per micro-batch without recompute",
        "double checkpoint = 0;  // bytes kept per layer per micro-batch with full recompute (its input)")},
    ("libhp/src/perf_shape.cpp", "double tp_sharded = 0, replicated = 0, expert = 0;"): _OVERWRITTEN,
}
# Single mutants that cannot change behaviour (judged by hand, reason given): reported apart and not counted. Keyed
# by (file, the line before, the line after), both stripped, so a moved line keeps its verdict.
EQUIVALENT = {
    ("libhp/src/logs.cpp", "double count = 0;", "double count = 1;"):
        "the progress count is read only after number_after has parsed it (the initial value is never used)",
    ("libhp/src/nemo_policy.cpp", "(mult * in.num_layers) % pp == 0 && lists.min_mp <= mp && mp <= lists.max_mp) {",
     "(mult / in.num_layers) % pp == 0 && lists.min_mp <= mp && mp <= lists.max_mp) {"):
        "a weaker pair filter: every candidate of a pair is re-checked with num_layers % pp (modify_cfg), so a pair "
        "this lets through yields no candidate",
    **{(path, line, line.replace("num_layers > 0", "num_layers >= 0")):
       "reached only through estimate(), which rejects num_layers < 1 (validate): the 0-layer branch never runs "
       "(perf_shape.cpp's moe_share line is not listed: the same text in model_flops_per_sequence is reachable "
       "without validation)" for path, line in (
        ("libhp/src/perf_shape.cpp", "const double dec_share = s.num_layers > 0 ? s.num_decoder_layers / s.num_layers : 0;"),
        ("libhp/src/perf_memory.cpp", "const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;"),
        ("libhp/src/perf_time.cpp", "const double moe_share = s.num_layers > 0 ? s.num_moe_layers / s.num_layers : 0;"))},
    ("libhp/src/perf_time.cpp", "if (flops <= 0) return 0;", "if (flops < 0) return 0;"):
        "zero FLOPs take 0 / (peak x efficiency) x (...) = 0 seconds either way (efficiencies are validated > 0)",
}

# (name, pattern, replacement); patterns apply to code with comments and string literals blanked out.
OPERATORS = [
    ("+ -> -", r"(?<=[\w)\]] )\+(?= [\w(])", "-"),
    ("- -> +", r"(?<=[\w)\]] )-(?= [\w(])", "+"),
    ("* -> /", r"(?<=[\w)\]] )\*(?= [\w(])", "/"),
    ("/ -> *", r"(?<=[\w)\]] )/(?= [\w(])", "*"),
    ("< -> <=", r"(?<=[\w)\]] )<(?= [\w(])", "<="),
    ("<= -> <", r"(?<= )<=(?= )", "<"),
    ("> -> >=", r"(?<=[\w)\]] )>(?= [\w(])", ">="),
    (">= -> >", r"(?<= )>=(?= )", ">"),
    ("== -> !=", r"(?<= )==(?= )", "!="),
    ("!= -> ==", r"(?<= )!=(?= )", "=="),
    ("&& -> ||", r"(?<= )&&(?= )", "||"),
    ("|| -> &&", r"(?<= )\|\|(?= )", "&&"),
    ("true -> false", r"\btrue\b", "false"),
    ("false -> true", r"\bfalse\b", "true"),
    ("min -> max", r"\bstd::min\b", "std::max"),
    ("max -> min", r"\bstd::max\b", "std::min"),
]
# The plausible bugs issue 17 seeded by hand (--seeded): each must be killed by the suite.
SEEDED = [
    ("SwiGLU activation factor 2", "libhp/src/perf_shape.cpp", "s.mlp_mats = m.gated_mlp() ? 3 : 2;", "s.mlp_mats = 2;"),
    ("last pipeline stage off by one (estimate)", "libhp/src/perf.cpp",
     "stage_memory(s, layout, calibration, layout.pp - 1)", "stage_memory(s, layout, calibration, layout.pp - 2)"),
    ("last pipeline stage off by one (logits)", "libhp/src/perf_memory.cpp",
     "if (rank == static_cast<int>(s.pp) - 1)", "if (rank == static_cast<int>(s.pp))"),
    ("last pipeline stage off by one (output layer)", "libhp/src/perf_shape.cpp",
     "if (rank == static_cast<int>(s.pp) - 1) {", "if (rank == static_cast<int>(s.pp) - 2) {"),
    ("GQA K/V activations with the query width", "libhp/src/perf_memory.cpp",
     "double sharded = 4 * S * b * s.q_dim + 4 * S * b * s.kv_dim;", "double sharded = 4 * S * b * s.q_dim + 4 * S * b * s.q_dim;"),
    ("pipeline bubble deleted", "libhp/src/perf_time.cpp", "t.bubble_s = (s.pp - 1) / s.vp * t_mb;", "t.bubble_s = 0;"),
    ("NeMo reader: TP/PP swapped", "libhp/src/perf_nemo.cpp",
     "l.tp = c.tensor_model_parallel_size;\n  l.pp = c.pipeline_model_parallel_size;",
     "l.tp = c.pipeline_model_parallel_size;\n  l.pp = c.tensor_model_parallel_size;"),
]

_INT = re.compile(r"(?<![\w.])(\d+)(?![\w.])")
_FLOAT = re.compile(r"(?<![\w.])(\d+\.\d*(?:e[-+]?\d+)?)(?![\w.])")
_CALL2 = re.compile(r"\b(std::min|std::max|[a-z_]+)\(([^(),]+), ([^(),]+)\)")


def blank_comments_and_strings(line, in_block):
    """The line with comments and string/char literals replaced by spaces (positions kept), and block state."""
    out, i = [], 0
    while i < len(line):
        if in_block:
            end = line.find("*/", i)
            if end < 0:
                out.append(" " * (len(line) - i))
                return "".join(out), True
            out.append(" " * (end + 2 - i))
            i, in_block = end + 2, False
        elif line.startswith("//", i):
            out.append(" " * (len(line) - i))
            break
        elif line.startswith("/*", i):
            in_block = True
        elif line[i] in "\"'":
            quote, j = line[i], i + 1
            while j < len(line) and line[j] != quote:
                j += 2 if line[j] == "\\" else 1
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(line[i])
            i += 1
    return "".join(out), in_block


def mutants_of(path):
    """Every (line index, start, end, replacement, description) mutation site of one file."""
    with open(os.path.join(ROOT, path)) as f:
        lines = f.read().split("\n")
    sites, in_block = [], False
    for n, raw in enumerate(lines):
        code, in_block = blank_comments_and_strings(raw, in_block)
        stripped = code.strip()
        if not stripped or stripped.startswith("#") or "operator" in code or "template" in code:
            continue
        for name, pattern, repl in OPERATORS:
            for m in re.finditer(pattern, code):
                sites.append((n, m.start(), m.end(), repl, name))
        for m in _FLOAT.finditer(code):
            value = float(m.group(1))  # x2, or 1.0 for a zero (2 x 0.0 would be the same program)
            sites.append((n, m.start(), m.end(), repr(2 * value) if value else "1.0",
                          f"constant {m.group(1)} -> {'x2' if value else '1.0'}"))
        for m in _INT.finditer(code):
            if not _FLOAT.search(code[max(0, m.start() - 1):m.end() + 1]):
                sites.append((n, m.start(), m.end(), str(int(m.group(1)) + 1), f"constant {m.group(1)} -> +1"))
        for m in _CALL2.finditer(code):
            if m.group(1) in ("if", "for", "while", "switch", "return", "std::min", "std::max"):
                continue  # keywords; min/max are symmetric (swapping their arguments is an equivalent mutant)
            swapped = f"{m.group(1)}({m.group(3)}, {m.group(2)})"
            sites.append((n, m.start(), m.end(), swapped, f"swap arguments of {m.group(1)}"))
    return lines, sites


def run(argv, cwd=None, timeout=None, env=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def prepare(work, jobs):
    """Copy the tracked files into work/ (keeping work/build) and configure work/build once."""
    files = run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0")
    for rel in filter(None, files):
        src, dst = os.path.join(ROOT, rel), os.path.join(work, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not os.path.exists(dst) or open(src, "rb").read() != open(dst, "rb").read():
            shutil.copyfile(src, dst)  # a new mtime, so that ninja rebuilds what changed
            shutil.copymode(src, dst)
    # A run killed mid-mutant leaves a restored source older than its mutated object: rebuild the mutable files.
    for rel in set(FORMULA_FILES) | {seeded[1] for seeded in SEEDED}:
        if os.path.exists(os.path.join(work, rel)):
            os.utime(os.path.join(work, rel))
    env = dict(os.environ)
    env.setdefault("CCACHE_BASEDIR", ROOT)  # work/ lies inside ROOT: ccache sees the same relative paths
    build = os.path.join(work, "build")
    if not os.path.exists(os.path.join(build, "build.ninja")):
        argv = ["cmake", "-S", work, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                "-DHP_BUILD_PYTHON=OFF", "-DHP_BUILD_BENCH=OFF", "-DHP_INSTALL=OFF"]
        if shutil.which("ccache"):
            argv.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        proc = run(argv, env=env)
        if proc.returncode != 0:
            sys.exit(f"cmake failed:\n{proc.stdout}\n{proc.stderr}")
    proc = run(["cmake", "--build", build, "-j", str(jobs), "--target", "hp_tests"], env=env)
    if proc.returncode != 0:
        sys.exit(f"the unmutated build fails:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return build, env


def equivalence(path, before, after):
    """The reason a mutant is equivalent, or None."""
    return EQUIVALENT.get((path, before, after)) or EQUIVALENT_LINES.get((path, before))


def focus_of(path):
    return next((tags for prefix, tags in FOCUS.items() if path.startswith(prefix)), [])


def run_suite(exe, spec, timeout, path=""):
    """killed or survived: the file's own tags, the rest of the fast cases, then the slow ones; --abort stops at
    the first failure."""
    slow = "".join("~" + name for name in SLOW_CASES)
    tags = focus_of(path)
    steps = []
    if tags:
        steps.append([exe, ",".join(spec + tag + slow for tag in tags), "--abort"])
    steps.append([exe, spec + slow + "".join("~" + tag for tag in tags), "--abort"])
    steps.append([exe, *SLOW_CASES, "--abort"])
    try:
        for step in steps:
            if run(step, timeout=timeout).returncode != 0:
                return "killed"
    except subprocess.TimeoutExpired:
        return "killed"
    return "survived"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", default=FORMULA_FILES)
    parser.add_argument("--max", type=int, default=60, help="mutants to try (sampled evenly over the files)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--spec", default=DEFAULT_SPEC, help="Catch2 test spec of the fast suite")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per test run (more = killed)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work", default=os.path.join(ROOT, "build-mutation"))
    parser.add_argument("--report", help="write the result as markdown here (e.g. docs/mutation.md)")
    parser.add_argument("--list", action="store_true", help="only count the mutation sites per file")
    parser.add_argument("--seeded", action="store_true", help="run the hand-seeded bugs of issue 17 instead")
    parser.add_argument("--survivors", metavar="REPORT",
                        help="rerun only the surviving mutants listed in an earlier report (after writing tests)")
    args = parser.parse_args(argv)

    for path, line in [(k[0], k[1]) for k in EQUIVALENT] + list(EQUIVALENT_LINES):
        with open(os.path.join(ROOT, path)) as f:
            if line not in (raw.strip() for raw in f):
                print(f"warning: {path} no longer has the line {line!r} judged equivalent", file=sys.stderr)
    per_file = {path: mutants_of(path) for path in args.files}
    if args.list:
        for path, (_, sites) in per_file.items():
            print(f"{path}: {len(sites)} sites")
        return 0
    rng = random.Random(args.seed)
    share = max(1, args.max // len(args.files))
    chosen = []  # (path, text of the whole mutated file, description, line number, before, after)
    for path, (lines, sites) in per_file.items():
        for n, start, end, repl, desc in rng.sample(sites, min(share, len(sites))):
            mutated = lines[n][:start] + repl + lines[n][end:]
            chosen.append((path, "\n".join(lines[:n] + [mutated] + lines[n + 1:]), desc, n + 1, lines[n].strip(),
                           mutated.strip()))
    if args.seeded:
        chosen = []
        for desc, path, before, after in SEEDED:
            with open(os.path.join(ROOT, path)) as f:
                text = f.read()
            if text.count(before) != 1:
                sys.exit(f"seeded bug {desc!r}: {before!r} is not once in {path} (update SEEDED)")
            line = text[:text.index(before)].count("\n") + 1
            chosen.append((path, text.replace(before, after), desc, line, before, after))

    if args.survivors:
        chosen = []
        with open(args.survivors) as f:
            listed = re.findall(r"^- `([^`:]+):(\d+)` (.+?): `(.+)` -> `(.+)`$", f.read(), re.M)
        for path, line, desc, before, after in listed:
            with open(os.path.join(ROOT, path)) as f:
                lines = f.read().split("\n")
            n = int(line) - 1
            if lines[n].strip() != before:
                sys.exit(f"{path}:{line} is no longer {before!r} (the file changed since the report)")
            indent = lines[n][:len(lines[n]) - len(lines[n].lstrip())]
            mutated = lines[:n] + [indent + after] + lines[n + 1:]
            chosen.append((path, "\n".join(mutated), desc, n + 1, before, after))

    originals = {}
    for path, *_ in chosen:
        with open(os.path.join(ROOT, path)) as f:
            originals[path] = f.read()
    build, env = prepare(args.work, args.jobs)
    exe = os.path.join(build, "tests", "hp_tests")
    if run_suite(exe, args.spec, args.timeout) != "survived":
        sys.exit(f"the unmutated suite fails: {exe} {args.spec}")
    results = []  # (path, line, description, before, after, outcome)
    started = time.time()
    for k, (path, text, desc, line, before, after) in enumerate(chosen, 1):
        target = os.path.join(args.work, path)
        with open(target, "w") as f:
            f.write(text)
        try:
            proc = run(["cmake", "--build", build, "-j", str(args.jobs), "--target", "hp_tests"], env=env)
            if proc.returncode != 0:
                outcome = "no-compile"
            else:
                outcome = run_suite(exe, args.spec, args.timeout, path)
                if outcome == "survived" and equivalence(path, before, after):
                    outcome = "equivalent"
        finally:
            with open(target, "w") as f:  # the content the run started from (the tree may move under a long run)
                f.write(originals[path])
        results.append((path, line, desc, before, after, outcome))
        print(f"[{k}/{len(chosen)}] {outcome:10} {path}:{line} {desc}", flush=True)
    # Leave the copy built from the unmutated sources.
    run(["cmake", "--build", build, "-j", str(args.jobs), "--target", "hp_tests"], env=env)

    text = report(results, args, time.time() - started)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
    return 0


def report(results, args, seconds):
    def score(rows):
        killed = sum(r[5] == "killed" for r in rows)
        counted = sum(r[5] in ("killed", "survived") for r in rows)
        return killed, counted

    command = "--seeded" if args.seeded else f"--survivors {args.survivors}" if args.survivors else \
        f"--max {args.max} --seed {args.seed}"
    if args.files != FORMULA_FILES:
        command += " --files " + " ".join(args.files)
    out = ["# Mutation testing: last result", "",
           f"`scripts/mutation.py {command}` (suite: `hp_tests \"{args.spec}\"`), "
           f"{len(results)} mutants in {seconds / 60:.0f} min. A mutant is killed when the suite fails; mutants "
           "that do not compile, and equivalent mutants (listed below with the reason), are not counted.", "",
           "| file | killed | counted | score | no-compile | equivalent |", "|---|---|---|---|---|---|"]
    for path in dict.fromkeys(r[0] for r in results):
        rows = [r for r in results if r[0] == path]
        k, c = score(rows)
        out.append(f"| {path} | {k} | {c} | {100 * k / c if c else 0:.0f}% | {sum(r[5] == 'no-compile' for r in rows)} "
                   f"| {sum(r[5] == 'equivalent' for r in rows)} |")
    k, c = score(results)
    out += [f"| **all** | {k} | {c} | **{100 * k / c if c else 0:.0f}%** | | |", "", "## Surviving mutants", ""]
    survivors = [r for r in results if r[5] == "survived"]
    out += [f"- `{r[0]}:{r[1]}` {r[2]}: `{r[3]}` -> `{r[4]}`" for r in survivors] or ["(none)"]
    equivalent = [r for r in results if r[5] == "equivalent"]
    if equivalent:
        out += ["", "## Equivalent mutants (not counted)", ""]
        out += [f"- `{r[0]}:{r[1]}` {r[2]}: `{r[3]}` -> `{r[4]}`: {equivalence(r[0], r[3], r[4])}" for r in equivalent]
    out += ["", "## Every mutant", "", "| outcome | where | mutation |", "|---|---|---|"]
    out += [f"| {r[5]} | `{r[0]}:{r[1]}` | {r[2]} |" for r in results]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
