"""Routes that serve the dashboard (``/``), its assets, the browser client and the demo pages.

The dashboard is a static page that talks to the same HTTP API as the CLI. That API wants the
signing key for ``/v1`` routes and token minting, so the dev server writes the development keys
into the page, and only when the page is requested over loopback from a server bound to
loopback: a dev stack exposed with ``--host 0.0.0.0`` serves a dashboard that asks for the key
instead of handing it to the network. A loopback peer is not enough on its own: a page on a
stranger's name rebound to 127.0.0.1 is one too, so the request's ``Host`` and ``Origin`` must
name this machine as well (:mod:`._host_check`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .._config import Settings
from ._host_check import request_allowed

STATIC_DIR = Path(__file__).resolve().parent / "static" / "dashboard"
_CONFIG_MARK = "<!--stepstream:config-->"


@dataclass(frozen=True)
class DashboardConfig:
    web_dir: Path | None
    """The project's ``web/`` folder (browser client, demo pages), served at ``/web/``."""
    loopback_only: bool
    """True when the server is bound to a loopback address."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_pages(web_dir: Path | None) -> list[dict[str, str]]:
    """The HTML pages under ``web/demos/`` (one per example), for the dashboard's links."""
    if web_dir is None:
        return []
    demos = web_dir / "demos"
    if not demos.is_dir():
        return []
    # One level deep: web/demos/<name>/index.html or web/demos/<name>.html (not node_modules).
    found = [*demos.glob("*/index.html"), *demos.glob("*.html")]
    pages = []
    for page in sorted(found):
        relative = page.relative_to(web_dir).as_posix()
        name = page.parent.name if page.name == "index.html" else page.stem
        pages.append({"name": name, "url": f"/web/{relative}"})
    return pages


def dashboard_routes(
    config: DashboardConfig,
    page_config_for: Callable[[Request], dict[str, Any]] | None = None,
) -> list[BaseRoute]:
    """The dashboard's routes. ``page_config_for`` replaces what the page is told (keys,
    demos); ``stepstream dashboard`` gives it a session token in place of the keys."""
    index_template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    def dev_page_config(request: Request) -> dict[str, Any]:
        settings = Settings.from_env()
        client = request.client.host if request.client else None
        headers = {name.lower(): value for name, value in request.headers.items()}
        trusted = config.loopback_only and is_loopback(client) and request_allowed(headers)
        return {
            "signingKey": settings.signing_key if trusted else None,
            "eventKey": settings.event_key if trusted else None,
            "demos": demo_pages(config.web_dir),
        }

    page_config = page_config_for or dev_page_config

    async def index(request: Request) -> Response:
        # "<" is escaped so no value can close the script element it is written into.
        payload = json.dumps(page_config(request)).replace("<", "\\u003c")
        script = f"<script>window.STEPSTREAM_DEV = {payload};</script>"
        html = index_template.replace(_CONFIG_MARK, script)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def config_json(request: Request) -> Response:
        return JSONResponse(page_config(request), headers={"Cache-Control": "no-store"})

    routes: list[BaseRoute] = [
        Route("/", index, methods=["GET"]),
        Route("/dashboard/config.json", config_json, methods=["GET"]),
        Mount("/dashboard", app=StaticFiles(directory=STATIC_DIR), name="dashboard"),
    ]
    if config.web_dir is not None and config.web_dir.is_dir():
        routes.append(Mount("/web", app=StaticFiles(directory=config.web_dir, html=True)))
    return routes
