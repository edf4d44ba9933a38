"""A Realtime publisher wired to the local gateway (the ``gateway`` fixture of tests/conftest.py,
serving the real ``functions/ws_*.py`` handlers), for the publish tests that need real sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stepstream.local import RunningGateway
from stepstream.realtime import Realtime


@pytest.fixture
def realtime(gateway: RunningGateway) -> Iterator[Realtime]:
    rt = Realtime("publish-tests", cache_seconds=0)
    yield rt
    rt.close()
