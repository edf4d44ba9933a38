"""Shared fixtures: a real moto server on loopback and freshly provisioned resources per test.

Every AWS call in the tests goes over HTTP to moto's server mode through real boto3 clients,
pointed there by the standard ``AWS_ENDPOINT_URL`` variable, exactly as the Lambda code is.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepstream.aws import reset_clients
from stepstream.local import (
    Gateway,
    LocalAws,
    Provisioned,
    RunningGateway,
    WebSocketHandlers,
    serve_in_thread,
)
from tests.support.aws import MotoEndpoint, use_local_aws


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[MotoEndpoint]:
    """One moto server per test process, on a free loopback port (the local stack's own)."""
    aws = LocalAws(use_environment=False)
    aws.start()
    yield MotoEndpoint(url=aws.endpoint, aws=aws)
    aws.stop()


@pytest.fixture
def aws(moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[Provisioned]:
    """Fresh tables, queues and buckets from template.yaml, under a unique prefix, with the
    environment pointing at them."""
    yield use_local_aws(monkeypatch, moto_endpoint.aws)
    reset_clients()


@pytest.fixture
def gateway(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    """The local API Gateway WebSocket emulator running the real ``functions/ws_*.py``
    handlers, so realtime posts are real ``@connections`` requests to real sockets."""
    import ws_authorizer
    import ws_connect
    import ws_default
    import ws_disconnect

    handlers = WebSocketHandlers(
        authorizer=ws_authorizer.handler,
        connect=ws_connect.handler,
        disconnect=ws_disconnect.handler,
        default=ws_default.handler,
    )
    running = serve_in_thread(Gateway(handlers))
    monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
    yield running
    running.stop()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """Debian's chromium (installed by scripts/system-deps.sh with apt) driven by Playwright.

    Module-scoped on purpose: Playwright's sync API keeps an event loop marked as running on the
    main thread while it is started, which breaks every asyncio test that runs after it, so it
    must be stopped before the next module's tests run. The tests never download a browser."""
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail(
            f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium); "
            "the tests never download a browser"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
