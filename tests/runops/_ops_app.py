"""The app the operations scenarios run over HTTP on moto: a function that fails until told
not to (``runops/charge``), one that sleeps (``runops/nap``), and a served API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from stepstream import Context, NonRetriableError, Stepstream
from stepstream.config import Settings
from stepstream.http import create_api
from stepstream.local._dashboard import DashboardConfig, dashboard_routes
from tests.http._http_support import AUTH, EVENT_KEY, run_until_settled
from tests.support.serve import serve

__all__ = ["AUTH", "EVENT_KEY", "OpsApp", "run_until_settled", "served"]


class OpsApp:
    def __init__(self) -> None:
        self.app = Stepstream(id="runops")
        self.broken = True
        self.bodies: list[str] = []
        app = self.app

        @app.function(id="charge", trigger="runops/charge", retries=0)
        async def charge(ctx: Context) -> str:
            card = await ctx.step.run("card", self._body, "card")
            await ctx.step.run("charge", self._charge)
            receipt = await ctx.step.run("receipt", self._body, "receipt")
            return f"{card}+{receipt}"

        @app.function(id="nap", trigger="runops/nap")
        async def nap(ctx: Context) -> str:
            await ctx.step.sleep("long", "1h")
            return "rested"

    def _body(self, name: str) -> str:
        self.bodies.append(name)
        return name

    def _charge(self) -> str:
        self.bodies.append("charge")
        if self.broken:
            raise NonRetriableError("the card provider is down")
        return "charged"

    def send(self, http: httpx.Client, name: str, data: dict[str, Any] | None = None) -> str:
        settings = Settings.from_env()  # the dev keys, or a test's own
        auth = {"Authorization": f"Bearer {settings.signing_key}"}
        reply = http.post(f"/e/{settings.event_key}", json={"name": name, "data": data or {}})
        assert reply.status_code == 200, reply.text
        [event_id] = reply.json()["ids"]
        run_until_settled(self.app)
        [run] = http.get(f"/v1/events/{event_id}/runs", headers=auth).json()["data"]
        return str(run["run_id"])

    def run(self, http: httpx.Client, run_id: str) -> dict[str, Any]:
        auth = {"Authorization": f"Bearer {Settings.from_env().signing_key}"}
        reply = http.get(f"/v1/runs/{run_id}", headers=auth)
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()["data"]
        return data


@contextmanager
def served(ops: OpsApp, *, dashboard: bool = False) -> Iterator[httpx.Client]:
    """The API (and, with ``dashboard``, the dashboard at ``/``, keys written into the page as
    the dev stack does over loopback) served on a loopback port."""
    api = create_api(ops.app)
    if dashboard:
        config = DashboardConfig(web_dir=None, loopback_only=True)
        api.router.routes.extend(dashboard_routes(config))
    with serve(api) as url, httpx.Client(base_url=url, timeout=20) as http:
        yield http
