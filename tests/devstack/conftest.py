"""A dev stack started as a user starts it: ``.venv/bin/stepstream dev`` in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.devprocess import DevProcess, app_env


@pytest.fixture(scope="module")
def test_stack() -> Iterator[DevProcess]:
    """One dev stack per module, running tests/support/devstack_app.py."""
    stack = DevProcess(env=app_env())
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.kill()
