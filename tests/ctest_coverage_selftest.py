#!/usr/bin/env python3
"""The 'every Catch2 case runs' checks fail when a bad name comes back (issue 17).

Discovers the hidden [canary] cases of hp_tests (tests/cpp/test_ctest_canary.cpp: a plain name, one with ';',
one with an escaped character) with Catch2's own CatchAddTests.cmake, exactly as catch_discover_tests does, into
a scratch ctest directory, then requires
  1. tests/ctest_coverage.py to fail, naming both bad cases and not the plain one, and
  2. ctest itself (entries carrying FAIL_REGULAR_EXPRESSION "No tests ran", as in tests/CMakeLists.txt) to fail
     every entry of the bad names and pass the plain one.

    ctest_coverage_selftest.py --exe hp_tests --catch-add-tests /path/CatchAddTests.cmake --work-dir DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctest_coverage  # noqa: E402

PLAIN = "canary: a plain name"
SEMICOLON = "canary: a; b; c"
ESCAPED = "canary: an escaped ('\\r') character"


def discover(exe, script, work_dir):
    """Write work_dir/CTestTestfile.cmake with the [canary] entries, as catch_discover_tests would."""
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    tests_file = os.path.join(work_dir, "canary_tests.cmake")
    defs = {
        "TEST_TARGET": "hp_tests", "TEST_EXECUTABLE": exe, "TEST_EXECUTOR": "", "TEST_WORKING_DIR": work_dir,
        "TEST_SPEC": "[canary]", "TEST_EXTRA_ARGS": "", "TEST_PROPERTIES": "FAIL_REGULAR_EXPRESSION;No tests ran",
        "TEST_PREFIX": "", "TEST_SUFFIX": "", "TEST_LIST": "canary_TESTS", "TEST_REPORTER": "",
        "TEST_OUTPUT_DIR": "", "TEST_OUTPUT_PREFIX": "", "TEST_OUTPUT_SUFFIX": "", "CTEST_FILE": tests_file,
    }
    argv = ["cmake"]
    for key, value in defs.items():
        argv += ["-D", f"{key}={value}"]
    subprocess.run([*argv, "-P", script], check=True, capture_output=True, text=True, timeout=120)
    with open(os.path.join(work_dir, "CTestTestfile.cmake"), "w") as f:
        f.write('include("canary_tests.cmake")\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", required=True)
    parser.add_argument("--catch-add-tests", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args(argv)
    args.exe = os.path.abspath(args.exe)  # CatchAddTests runs it from the scratch directory
    discover(args.exe, args.catch_add_tests, args.work_dir)
    failures = []

    # 1. The coverage check names both bad cases, and only them.
    problems, num_cases = ctest_coverage.check(args.work_dir, args.exe, "[canary]")
    report = "\n".join(problems)
    if num_cases != 3:
        failures.append(f"expected 3 canary cases, the binary lists {num_cases}")
    for name in (SEMICOLON, ESCAPED):
        if repr(name) not in report:
            failures.append(f"ctest_coverage.py did not report {name!r}; it said:\n{report}")
    if repr(PLAIN) in report:
        failures.append(f"ctest_coverage.py reported the plain name:\n{report}")

    # 2. Running the entries: the plain one passes, every entry of the bad names fails ("No tests ran").
    proc = subprocess.run(["ctest", "--test-dir", args.work_dir], capture_output=True, text=True, timeout=120)
    failed = set(re.findall(r"^\s*\d+ - (.*?) \(Failed\)\s*$", proc.stdout, re.M))
    entries = [name for name, _ in ctest_coverage.ctest_entries(args.work_dir, args.exe)]
    if PLAIN not in entries or PLAIN in failed:
        failures.append(f"the plain canary did not run and pass:\n{proc.stdout}")
    bad_entries = [e for e in entries if e != PLAIN]
    if len(bad_entries) < 4 or not set(bad_entries) <= failed:  # ';' splits one name into 3 entries
        failures.append(f"ctest passed an entry that ran nothing (entries {bad_entries!r}):\n{proc.stdout}")

    for f in failures:
        print(f)
    if failures:
        return 1
    print(f"OK: both checks reject the bad canary names ({len(problems)} problems, {len(failed)} failed entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
