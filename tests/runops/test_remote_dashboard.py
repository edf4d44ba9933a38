"""GIVEN a deployed stack's API (here served on moto with a production-like key) WHEN
``stepstream dashboard --url`` serves the dashboard locally THEN the page works against that
API (runs, pause, rerun) while the signing key never appears in anything the page loads, and
requests from another Host or without the session token are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stepstream.local import Provisioned
from stepstream.local._cli_http import Target
from stepstream.local._remote_dashboard import RemoteDashboard
from tests.support.serve import serve

from ._ops_app import OpsApp, run_until_settled, served

SECRET = "signkey-prod-" + "ab" * 32
EVENT_SECRET = "event-key-prod-1234"


@pytest.fixture
def deployed(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OpsApp, str]]:
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY", SECRET)
    monkeypatch.setenv("STEPSTREAM_EVENT_KEY", EVENT_SECRET)
    ops = OpsApp()
    with served(ops) as http:
        yield ops, str(http.base_url).rstrip("/")


@pytest.fixture
def local(deployed: tuple[OpsApp, str]) -> Iterator[tuple[RemoteDashboard, str]]:
    dashboard = RemoteDashboard(Target(deployed[1], EVENT_SECRET, SECRET))
    with serve(dashboard.asgi()) as url:
        yield dashboard, url


def test_the_key_stays_out_of_the_page(local: tuple[RemoteDashboard, str]) -> None:
    dashboard, url = local
    for path in ["/", "/dashboard/config.json", "/dashboard/api.js"]:
        body = httpx.get(url + path).text
        assert SECRET not in body
        assert EVENT_SECRET not in body
    assert dashboard.token in httpx.get(url + "/dashboard/config.json").text


def test_only_the_session_on_this_host_is_forwarded(
    local: tuple[RemoteDashboard, str], deployed: tuple[OpsApp, str]
) -> None:
    dashboard, url = local
    ops, _ = deployed
    session = {"Authorization": f"Bearer {dashboard.token}"}
    assert httpx.get(url + "/v1/runs", headers=session).json()["data"] == []
    assert httpx.get(url + "/v1/runs").status_code == 401
    assert httpx.get(url + "/v1/runs", headers={"Authorization": "Bearer guess"}).status_code == 401
    rebound = httpx.get(url + "/v1/runs", headers={**session, "Host": "evil.example"})
    assert rebound.status_code == 403
    assert httpx.get(url + "/", headers={"Host": "evil.example"}).status_code == 403
    # events go through with the event key swapped in
    sent = httpx.post(f"{url}/e/{dashboard.token}", json={"name": "runops/nap"})
    assert sent.status_code == 200, sent.text
    assert httpx.post(f"{url}/e/{EVENT_SECRET}", json={"name": "runops/nap"}).status_code == 401
    run_until_settled(ops.app)


@pytest.mark.e2e
def test_the_dashboard_operates_the_deployed_stack(
    local: tuple[RemoteDashboard, str], deployed: tuple[OpsApp, str], chromium_browser: Any
) -> None:
    _dashboard, url = local
    ops, api_url = deployed
    with httpx.Client(base_url=api_url, timeout=20) as api:
        failed = ops.send(api, "runops/charge")
    ops.broken = False
    page = chromium_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{url}/#/run/{failed}")
        page.locator("#rerun").click()
        page.locator("#rerun-of", has_text=failed).wait_for()
        run_until_settled(ops.app)
        page.locator(".head .badge", has_text="completed").wait_for()
        page.goto(f"{url}/#/functions")
        nap = page.locator("section.card.fn", has_text="nap")
        nap.locator("button.pause").click()
        page.locator("#functions-message", has_text="Paused").wait_for()
        auth = {"Authorization": f"Bearer {SECRET}"}
        assert httpx.get(api_url + "/v1/pauses", headers=auth).json()["data"] == {"nap": "hold"}
    finally:
        page.close()
    assert errors == []
