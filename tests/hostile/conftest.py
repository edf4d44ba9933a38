from __future__ import annotations

import pytest

from stepstream.local import Provisioned


@pytest.fixture
def engine_env(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Provisioned:
    """Fast retries for tests: no backoff delay unless a test sets one."""
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    return aws


# The socket scenarios run against the real gateway and handlers, as tests/realtime_socket does.
from tests.realtime_socket.conftest import gateway, gateway_factory  # noqa: E402, F401
