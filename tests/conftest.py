"""Shared fixtures: a real moto server on loopback and freshly provisioned resources per test.

Every AWS call in the tests goes over HTTP to moto's server mode through real boto3 clients,
pointed there by the standard ``AWS_ENDPOINT_URL`` variable, exactly as the Lambda code is.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from stepstream._aws import reset_clients
from stepstream.local._provision import Provisioned, provision

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

# The user's code folder is importable as the handlers see it in Lambda.
sys.path.insert(0, str(ROOT / "functions"))


@dataclass
class MotoEndpoint:
    url: str


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[MotoEndpoint]:
    """One moto server per test process, on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield MotoEndpoint(url=f"http://{host}:{port}")
    server.stop()


@pytest.fixture
def aws(moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[Provisioned]:
    """Fresh tables, queues and buckets from template.yaml, under a unique prefix, with the
    environment pointing at them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    reset_clients()
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    provisioned = provision(TEMPLATE, prefix=prefix)
    for key, value in provisioned.environment.items():
        monkeypatch.setenv(key, value)
    yield provisioned
    reset_clients()


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
