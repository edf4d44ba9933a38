"""GIVEN debounced, batched, concurrency-limited, throttled and singleton functions, served
over HTTP on DynamoDB in moto
WHEN events are gathered (no run exists yet), slots are held and a run waits in line
THEN ``GET /v1/pending`` and ``stepstream runs`` show "debounced until T (last event X)" and
"batch of N events, starts at T or at max_size"; ``GET /v1/functions/{id}/usage`` shows the
slots held and the line per key, the throttle's next start and the open windows, from no more
reads than it says; a singleton-skipped run is recorded and says why; bad input is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from stepstream import (
    Batch,
    Concurrency,
    Debounce,
    Singleton,
    Stepstream,
    Throttle,
)
from stepstream.engine._flow import reads_per_view
from stepstream.engine._flow._concurrency import counters
from stepstream.http import create_api
from stepstream.local import LambdaContext, Provisioned
from stepstream.local._cli_render import pending_table
from tests.http._http_support import AUTH
from tests.support.serve import serve


def make_app() -> Stepstream:
    app = Stepstream(id="flow-pending")

    @app.function(id="debounced", trigger="pend/deb", debounce=Debounce("1h", key="event.data.doc"))
    async def debounced(ctx: Any) -> None:
        return None

    @app.function(
        id="batched", trigger="pend/batch", batch_events=Batch(5, "60s", key="event.data.t")
    )
    def batched(ctx: Any) -> None:
        return None

    @app.function(
        id="limited", trigger="pend/limited", concurrency=Concurrency(2, key="event.data.user")
    )
    async def limited(ctx: Any) -> None:
        return None

    @app.function(id="throttled", trigger="pend/throttled", throttle=Throttle(1, "1h"))
    def throttled(ctx: Any) -> None:
        return None

    @app.function(id="single", trigger="pend/single", singleton=Singleton(mode="skip"))
    async def single(ctx: Any) -> None:
        return None

    return app


@pytest.fixture
def client(aws: Provisioned) -> Iterator[tuple[Stepstream, httpx.Client]]:
    app = make_app()
    with serve(create_api(app)) as url, httpx.Client(base_url=url, timeout=20) as http:
        yield app, http


def at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_gathered_events_are_visible_before_their_run_exists(
    client: tuple[Stepstream, httpx.Client],
) -> None:
    app, http = client
    before = time.time()
    ids = app.send([{"name": "pend/deb", "data": {"doc": "d1", "n": i}} for i in range(3)])
    app.send([{"name": "pend/batch", "data": {"t": "t1"}} for _ in range(2)])
    assert app.runs.recent(50, "debounced") == []
    assert app.runs.recent(50, "batched") == []

    got = http.get("/v1/pending", params={"function_id": "debounced"}, headers=AUTH)
    [deb] = got.json()["data"]
    assert (deb["kind"], deb["key_value"], deb["events"]) == ("debounce", "d1", 3)
    assert deb["last_event_id"] == ids[-1]
    assert deb["label"].startswith("debounced until ")
    assert deb["label"].endswith(f"(last event {ids[-1]})")
    assert at(deb["starts_at"]) >= before + 3600 - 5

    everything = http.get("/v1/pending", headers=AUTH).json()["data"]
    [batch] = [p for p in everything if p["function_id"] == "batched"]
    assert (batch["kind"], batch["events"], batch["max_size"]) == ("batch", 2, 5)
    assert batch["label"].startswith("batch of 2 events, starts at ")
    assert batch["label"].endswith(" or at 5")
    assert before + 55 <= at(batch["starts_at"]) <= time.time() + 60

    shown = pending_table(everything)
    assert f"debounced until {deb['starts_at'][:19]}" in shown
    assert f"(last event {ids[-1]})" in shown
    assert "batch of 2 events, starts at" in shown
    assert "or at 5" in shown


def test_the_usage_view_shows_each_limit_in_use(
    client: tuple[Stepstream, httpx.Client],
) -> None:
    app, http = client
    limited = app.get_function("limited")
    assert limited is not None
    event = {"name": "pend/limited", "data": {"user": "u1"}}
    [counter] = counters(limited, event)
    far = int(time.time() * 1000) + 600_000
    state = app.backends().state
    for holder in ("holder-a", "holder-b"):
        assert state.acquire_slots(holder, [counter.limit], far) is None
    [event_id] = app.send(event)
    [run] = app.runs.for_event(event_id)
    app.execute({"run_id": run.run_id}, LambdaContext(timeout_ms=30_000))
    app.send([{"name": "pend/throttled"}, {"name": "pend/throttled"}])
    app.send({"name": "pend/batch", "data": {"t": "t9"}})

    usage = http.get("/v1/functions/limited/usage", headers=AUTH).json()["data"]
    [limit] = usage["concurrency"]
    assert (limit["limit"], limit["key"], limit["scope"]) == (2, "event.data.user", "fn")
    assert limit["busiest"] == [{"value": "u1", "running": 2, "queued": 1}]
    assert usage["reads"] <= reads_per_view(limited)

    throttled = http.get("/v1/functions/throttled/usage", headers=AUTH).json()["data"]
    [key] = throttled["throttle"]
    assert at(key["next_allowed_at"]) > time.time() + 3000
    assert throttled["reads"] == 1

    batched = http.get("/v1/functions/batched/usage", headers=AUTH).json()["data"]
    assert [(p["key_value"], p["events"]) for p in batched["pending"]] == [("t9", 1)]


def test_a_singleton_skip_is_recorded_with_its_reason(
    client: tuple[Stepstream, httpx.Client],
) -> None:
    app, http = client
    [_, skipped] = app.send([{"name": "pend/single"}, {"name": "pend/single"}])
    [run] = app.runs.for_event(skipped)
    listed = http.get("/v1/runs", params={"function_id": "single"}, headers=AUTH).json()["data"]
    [shown] = [r for r in listed if r["run_id"] == run.run_id]
    assert shown["state"] == "cancelled"
    assert shown["held"]["reason"] == "singleton"


def test_bad_input_is_refused(client: tuple[Stepstream, httpx.Client]) -> None:
    _, http = client
    assert http.get("/v1/functions/nope/usage", headers=AUTH).status_code == 404
    assert http.get("/v1/pending", params={"limit": 0}, headers=AUTH).status_code == 400
    assert http.get("/v1/pending", params={"limit": 501}, headers=AUTH).status_code == 400
    assert http.get("/v1/pending", params={"function_id": ""}, headers=AUTH).status_code == 400
    assert http.get("/v1/pending").status_code == 401
