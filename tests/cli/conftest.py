"""The CLI as a user runs it: ``.venv/bin/stepstream ...`` in a subprocess, against a dev stack
that a fixture starts the same way (tests/devstack/devprocess.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "devstack"))

from devprocess import STEPSTREAM, DevProcess, app_env, cli_env


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str, url: str | None = None, timeout: float = 60, **env: str) -> Result:
    command = [str(STEPSTREAM), *args]
    if url:
        command += ["--url", url]
    done = subprocess.run(
        command, env=cli_env(**env), capture_output=True, text=True, timeout=timeout
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def stack() -> Iterator[DevProcess]:
    process = DevProcess(env=app_env())
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()
