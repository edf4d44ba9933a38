"""The end-to-end fixtures: the dev stack (``tests/e2e/_devstack.py``, i.e. ``stepstream dev``
plus a route listing the gateway's connections) on a free port, once per session, and Debian's
headless Chromium through Playwright (``executable_path``; never a downloaded browser)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.devprocess import ROOT, DevProcess, cli_env

SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class DevStack:
    url: str
    signing_key: str
    http: httpx.Client

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.signing_key}"}
        response = self.http.request(method, self.url + path, headers=headers, **kwargs)
        response.raise_for_status()
        return response.json()

    def runs(self, function_id: str) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.api(
            "GET", "/v1/runs", params={"function_id": function_id, "limit": 100}
        )["data"]
        return runs

    def connections(self) -> list[str]:
        ids: list[str] = self.http.get(self.url + "/__e2e/connections").json()["ids"]
        return ids

    def kill(self, connection_id: str) -> None:
        """Close a socket from the server side, as a Lambda would: boto3's
        ``apigatewaymanagementapi`` ``DeleteConnection`` against the dev stack."""
        import boto3

        management = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        management.delete_connection(ConnectionId=connection_id)


@pytest.fixture(scope="session")
def dev_stack() -> Iterator[DevStack]:
    process = DevProcess(command=[sys.executable, "-m", "tests.e2e._devstack"], env=cli_env())
    try:
        process.wait_ready()
        with httpx.Client(timeout=15) as http:
            yield DevStack(process.url, process.signing_key, http)
    finally:
        process.terminate()


@pytest.fixture(scope="module")
def browser(chromium_browser: Any) -> Any:
    return chromium_browser


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


class Held:
    """Holds the page's token requests (``POST /v1/realtime/token``) until released, so a test
    can act while the page is provably disconnected."""

    def __init__(self, page: Any) -> None:
        self.waiting: list[Any] = []
        self.released = False
        page.route("**/v1/realtime/token", self._hold)

    def _hold(self, route: Any) -> None:
        if self.released:
            route.continue_()
        else:
            self.waiting.append(route)

    def release(self) -> None:
        self.released = True
        routes, self.waiting = self.waiting, []
        for route in routes:
            route.continue_()


def wait_until(page: Any, check: Any, what: str, timeout: float = 30.0) -> Any:
    """Poll ``check()`` until it returns something truthy; waiting through the page keeps
    Playwright dispatching its events (held routes) meanwhile."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(100)
    return value
