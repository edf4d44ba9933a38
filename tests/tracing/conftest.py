"""Tracing on, off Lambda (``STEPSTREAM_TRACING``), sending to a loopback daemon. Runs that
publish use the local WebSocket gateway of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stepstream import _tracing

from ._daemon import Daemon

__all__ = ["daemon", "traced"]


@pytest.fixture
def daemon() -> Iterator[Daemon]:
    running = Daemon()
    yield running
    running.close()


@pytest.fixture
def traced(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    monkeypatch.setenv(_tracing.LOCAL_SWITCH, "true")
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", daemon.address)
    _tracing.reset()
    yield daemon
    monkeypatch.undo()
    _tracing.reset()
