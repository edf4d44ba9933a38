"""The CLI tests' dev stack, started as a user starts it (tests/support/devprocess.py); the
helpers that run the CLI are in cli_support.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.devprocess import DevProcess, app_env


@pytest.fixture(scope="session")
def stack() -> Iterator[DevProcess]:
    process = DevProcess(env=app_env())
    try:
        process.wait_ready()
        yield process
    finally:
        process.kill()
