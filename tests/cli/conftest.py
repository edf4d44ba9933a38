"""The CLI tests' dev stack, started as a user starts it (tests/devstack/devprocess.py); the
helpers that run the CLI are in cli_support.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "devstack"))

from devprocess import DevProcess, app_env


@pytest.fixture(scope="session")
def stack() -> Iterator[DevProcess]:
    process = DevProcess(env=app_env())
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()
