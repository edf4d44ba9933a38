"""GIVEN the dashboard routes
WHEN the page is requested over loopback from a loopback-bound server
THEN the development keys are written into it, and in every other case they are not; no value
can break out of the script element it is written into."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from stepstream.local._dashboard import DashboardConfig, dashboard_routes, demo_pages, is_loopback


async def _page(loopback_only: bool, client_host: str, path: str = "/") -> httpx.Response:
    app = Starlette(routes=dashboard_routes(DashboardConfig(None, loopback_only=loopback_only)))
    transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8288") as client:
        return await client.get(path)


def _config(page: str) -> dict[str, object]:
    start = page.index("window.STEPSTREAM_DEV = ") + len("window.STEPSTREAM_DEV = ")
    end = page.index(";</script>", start)
    config: dict[str, object] = json.loads(page[start:end])
    return config


async def test_loopback_page_carries_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY", "signkey-test-abcdef")
    page = await _page(loopback_only=True, client_host="127.0.0.1")
    assert page.status_code == 200
    assert _config(page.text)["signingKey"] == "signkey-test-abcdef"


@pytest.mark.parametrize(("loopback_only", "client"), [(True, "203.0.113.5"), (False, "127.0.0.1")])
async def test_keys_withheld_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, loopback_only: bool, client: str
) -> None:
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY", "signkey-test-abcdef")
    page = await _page(loopback_only, client)
    assert "signkey-test-abcdef" not in page.text
    assert _config(page.text)["signingKey"] is None


async def test_value_cannot_close_the_script_element(monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = "</script><script>alert(1)</script>"
    monkeypatch.setenv("STEPSTREAM_EVENT_KEY", hostile)
    page = await _page(loopback_only=True, client_host="127.0.0.1")
    assert page.text.count("</script>") == 1 + page.text.count('src="/dashboard/app.js"></script>')
    assert _config(page.text)["eventKey"] == hostile


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.2", False),
        (None, False),
        ("testclient", False),
    ],
)
def test_is_loopback(host: str | None, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_demo_pages_are_listed_one_level_deep(tmp_path: Path) -> None:
    (tmp_path / "demos" / "hello-world").mkdir(parents=True)
    (tmp_path / "demos" / "hello-world" / "index.html").write_text("<html></html>")
    (tmp_path / "demos" / "post-like.html").write_text("<html></html>")
    (tmp_path / "demos" / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "demos" / "node_modules" / "pkg" / "readme.html").write_text("<html></html>")
    assert demo_pages(tmp_path) == [
        {"name": "hello-world", "url": "/web/demos/hello-world/index.html"},
        {"name": "post-like", "url": "/web/demos/post-like.html"},
    ]
    assert demo_pages(None) == []
