#!/usr/bin/env python3
"""Every Catch2 case runs under ctest exactly once (issue 17).

catch_discover_tests turns each case name into one ctest entry whose command passes the name back to the test
binary as a Catch test spec. Two things silently break that: a ';' in a name (CMake splits it into several
entries) and Catch's spec syntax (a backslash escapes, '*' is a wildcard, a leading '~' excludes, '"' quotes).
Such an entry selects no case, Catch prints "No test cases matched ... No tests ran" and exits 0: green, untested.

    ctest_coverage.py --ctest-dir BUILD --exe path/to/hp_tests --spec '~[slurm]'

lists the cases the binary holds for the discovery spec, then, for each ctest entry that runs that binary, runs
the entry's own argument vector with --list-test-names-only (what the entry would select). It fails, naming
them, when an entry selects no case, more than one, or another case than its name says, and when a case is
selected by no entry or by several. (The entries also carry FAIL_REGULAR_EXPRESSION "No tests ran", so one that
runs nothing fails when ctest runs it; this check finds it without running the tests.)
"""
import argparse
import json
import os
import subprocess
import sys


def _is_spec(arg):
    """catch_discover_tests adds "" (or "--reporter X", "--out F") after the spec; they select nothing."""
    return arg != "" and not arg.startswith("--reporter") and not arg.startswith("--out")


def list_names(exe, spec_args):
    """Case names the binary selects for a spec (Catch's own filter), one per line."""
    proc = subprocess.run([exe, *spec_args, "--list-test-names-only"], capture_output=True, text=True, timeout=60)
    return [line for line in proc.stdout.splitlines() if line.strip()]


def ctest_entries(ctest_dir, exe):
    proc = subprocess.run(["ctest", "--test-dir", ctest_dir, "--show-only=json-v1"], capture_output=True, text=True,
                          timeout=120, check=True)
    target = os.path.realpath(exe)
    entries = []
    for test in json.loads(proc.stdout).get("tests", []):
        command = test.get("command") or []
        if command and os.path.realpath(command[0]) == target:
            entries.append((test["name"], [a for a in command[1:] if _is_spec(a)]))
    return entries


def check(ctest_dir, exe, spec, prefix=""):
    """Problems found (empty list = every case runs exactly once), and the number of cases."""
    cases = list_names(exe, [spec] if spec else [])
    selected_by = {name: [] for name in cases}
    problems = []
    for entry, args in ctest_entries(ctest_dir, exe):
        matched = list_names(exe, args)
        if not matched:
            problems.append(f"ctest entry {entry!r} selects no test case (its spec: {args!r})")
        elif len(matched) > 1:
            problems.append(f"ctest entry {entry!r} selects {len(matched)} test cases: {matched!r}")
        elif prefix + matched[0] != entry:
            problems.append(f"ctest entry {entry!r} selects another test case: {matched[0]!r}")
        for name in matched:
            selected_by.setdefault(name, []).append(entry)
    for name, entries in selected_by.items():
        if not entries:
            problems.append(f"test case {name!r} is run by no ctest entry (rename it: no ';', '\\', '*', '\"', "
                            "leading '~' or '[')")
        elif len(entries) > 1:
            problems.append(f"test case {name!r} is run by {len(entries)} ctest entries: {entries!r}")
    return problems, len(cases)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctest-dir", required=True)
    parser.add_argument("--exe", required=True)
    parser.add_argument("--spec", default="", help="the TEST_SPEC given to catch_discover_tests")
    parser.add_argument("--prefix", default="", help="the TEST_PREFIX given to catch_discover_tests")
    args = parser.parse_args(argv)
    problems, num_cases = check(args.ctest_dir, args.exe, args.spec, args.prefix)
    for p in problems:
        print(p)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) among {num_cases} test cases")
        return 1
    print(f"OK: each of the {num_cases} test cases is selected by exactly one ctest entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
