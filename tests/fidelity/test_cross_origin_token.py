"""GIVEN a page on another origin (a second loopback port) and the stack's CORS origins set to it
WHEN the browser asks POST /v1/realtime/token for a token and subscribes over the WebSocket
THEN the preflight reaches ApiFunction and the POST reaches TokenFunction, as the template
routes them, and a message published on the channel arrives; WHEN the token function sends no
CORS headers THEN the browser cannot read the token and never connects, as on AWS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from stepstream.config import DEV_SIGNING_KEY
from stepstream.local import LocalStack
from stepstream.realtime import Realtime, channel, topic
from tests.support.aws import ROOT, TEMPLATE, MotoEndpoint
from tests.support.serve import serve

from ._support import fidelity_stack, template_variant

HANDLERS = Path(__file__).parent / "handlers"
CHANNEL = "fidelity-browser"
PAGE = """<!doctype html><script type="module">
import { subscribe } from "/web/subscribe.js";
window.result = { statuses: [], errors: [], messages: [] };
subscribe({
  url: "%(stack)s", channel: "%(channel)s", topics: ["news"],
  token: () => fetch("%(stack)s/v1/realtime/token", {
    method: "POST",
    headers: { "Authorization": "Bearer %(key)s", "Content-Type": "application/json" },
    body: JSON.stringify({ channel: "%(channel)s", topics: ["news"] }),
  }).then((r) => r.json()),
  onStatus: (s) => window.result.statuses.push(s),
  onError: (e) => window.result.errors.push(String(e)),
  onMessage: (m) => window.result.messages.push(m.data),
});
</script>"""


def _page_server(stack_url: list[str]) -> Starlette:
    """The page, naming the stack started after this server (its URL in ``stack_url``)."""

    async def page(request: Any) -> HTMLResponse:
        values = {"stack": stack_url[0], "channel": CHANNEL, "key": DEV_SIGNING_KEY}
        return HTMLResponse(PAGE % values)

    return Starlette(
        routes=[Route("/page.html", page), Mount("/web", StaticFiles(directory=ROOT / "web"))]
    )


def _result(browser_page: Any) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = browser_page.evaluate("window.result")
    return result


def _open_page(
    chromium_browser: Any,
    moto: MotoEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    template: Path,
    check: Any,
) -> None:
    stack_url: list[str] = []
    with serve(_page_server(stack_url)) as origin:
        # Only the page's origin, as CorsAllowedOrigins sets it on AWS (unset means any locally).
        monkeypatch.setenv("STEPSTREAM_CORS_ORIGINS", origin)
        with fidelity_stack(moto, monkeypatch, template=template, pollers=False) as stack:
            stack_url.append(stack.url)
            context = chromium_browser.new_context()
            try:
                page = context.new_page()
                page.goto(f"{origin}/page.html")
                check(stack, page)
            finally:
                context.close()


def _wait(page: Any, predicate: Any, timeout: float = 15) -> dict[str, list[Any]]:
    deadline = time.monotonic() + timeout
    while True:
        result = _result(page)
        if predicate(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_a_page_on_another_origin_gets_a_token_and_subscribes(
    chromium_browser: Any, moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    def check(stack: LocalStack, page: Any) -> None:
        result = _wait(page, lambda r: "open" in r["statuses"])
        assert "open" in result["statuses"], result
        news = channel(CHANNEL).add_topic(topic("news"))().news
        realtime = Realtime("fidelity-test")
        try:
            realtime.publish_sync(news, {"hello": "browser"})
        finally:
            realtime.close()
        result = _wait(page, lambda r: r["messages"])
        assert result["messages"] == [{"hello": "browser"}], result

    _open_page(chromium_browser, moto_endpoint, monkeypatch, TEMPLATE, check)


def test_without_cors_on_the_token_function_the_browser_gets_no_token(
    chromium_browser: Any,
    moto_endpoint: MotoEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    template = template_variant(
        tmp_path,
        (
            "      Handler: realtime_token.handler\n",
            f"      CodeUri: {HANDLERS}/\n      Handler: token_without_cors.handler\n",
        ),
    )

    def check(stack: LocalStack, page: Any) -> None:
        result = _wait(page, lambda r: r["errors"])
        assert any("could not get a token" in error for error in result["errors"]), result
        assert "open" not in result["statuses"]
        assert stack.gateway is not None
        assert stack.gateway.connection_ids() == []

    _open_page(chromium_browser, moto_endpoint, monkeypatch, template, check)
