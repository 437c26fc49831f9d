import json
import os
import shutil
import subprocess

import pytest


def _cli_path():
    path = os.environ.get("HP_CLI") or shutil.which("hp-cli")
    if not path:
        raise RuntimeError("hp-cli not found: set HP_CLI or put it on PATH")
    return path


class Cli:
    """Runs hp-cli with an argument vector (never a shell string)."""

    def __init__(self, path):
        self.path = path

    def run(self, *args, cwd=None, check=False, timeout=300):
        proc = subprocess.run([self.path, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"hp-cli {' '.join(map(str, args))} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def json(self, *args, cwd=None):
        proc = self.run(*args, "--json", cwd=cwd, check=True)
        return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def cli():
    return Cli(_cli_path())


@pytest.fixture(scope="session")
def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
