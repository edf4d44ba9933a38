"""GIVEN an app with rate-limited, throttled and concurrency-limited functions, served over HTTP
on DynamoDB in moto
WHEN runs are held back
THEN ``GET /v1/runs/{id}`` says why (reason, the limit in words, until when), ``GET
/v1/functions`` lists each function's limits, and ``stepstream runs`` shows the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from stepstream import Concurrency, RateLimit, Stepstream, Throttle
from stepstream.http import create_api
from stepstream.local import Provisioned
from stepstream.local._cli_render import run_detail, runs_table
from tests.http._http_support import AUTH
from tests.support.serve import serve


def make_app() -> Stepstream:
    app = Stepstream(id="flow-visibility")

    @app.function(id="rated", trigger="vis/rated", rate_limit=RateLimit(1, "1h"))
    async def rated(ctx: Any) -> None:
        return None

    @app.function(
        id="throttled",
        trigger="vis/throttled",
        throttle=Throttle(limit=1, period="1h"),
        concurrency=Concurrency(limit=5, key="event.data.user"),
    )
    def throttled(ctx: Any) -> None:
        return None

    return app


@pytest.fixture
def client(aws: Provisioned) -> Iterator[tuple[Stepstream, httpx.Client]]:
    app = make_app()
    with serve(create_api(app)) as url, httpx.Client(base_url=url, timeout=20) as http:
        yield app, http


def run_of(app: Stepstream, event_id: str) -> str:
    [run] = app.runs.for_event(event_id)
    return run.run_id


def test_the_api_and_the_cli_say_why_a_run_is_not_running(
    client: tuple[Stepstream, httpx.Client],
) -> None:
    app, http = client
    [_, dropped_event] = app.send([{"name": "vis/rated"}, {"name": "vis/rated"}])
    dropped = http.get(f"/v1/runs/{run_of(app, dropped_event)}", headers=AUTH).json()["data"]
    assert dropped["state"] == "cancelled"
    assert dropped["held"]["reason"] == "rate_limited"
    assert "rate limit 1" in dropped["held"]["label"]

    [_, late_event] = app.send([{"name": "vis/throttled"}, {"name": "vis/throttled"}])
    late = http.get(f"/v1/runs/{run_of(app, late_event)}", headers=AUTH).json()["data"]
    assert late["state"] == "queued"
    assert late["held"]["reason"] == "throttled"
    assert late["held"]["until"] > late["created_at"]

    listed = http.get("/v1/runs", headers=AUTH).json()["data"]
    assert "queued (throttled)" in runs_table(listed)
    assert "cancelled (rate_limited)" in runs_table(listed)
    assert "held      throttled: throttled: 1 per 1h until" in run_detail(late)

    functions = {f["id"]: f for f in http.get("/v1/functions", headers=AUTH).json()["data"]}
    assert functions["rated"]["flow"] == {"rate_limit": {"limit": 1, "period": 3600.0}}
    assert functions["throttled"]["flow"]["throttle"]["period"] == 3600.0
    assert functions["throttled"]["flow"]["concurrency"] == [
        {"limit": 5, "key": "event.data.user", "scope": "fn"}
    ]
