"""GIVEN a scripted run on moto (steps, a sleep, a realtime publish to a real subscriber through
the local gateway, a step output large enough to go to S3) WHEN the executor runs it THEN its
cost ledger holds exactly the requests an independent botocore counter saw while the run was
started and during its invocations (a timer's hops included), and the ledger adds no DynamoDB
request per step: the only one it adds is its own write, one per invocation (the same run with
the ledger off makes every other request as often)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from stepstream import Context, Stepstream
from stepstream.cost import take_finished
from stepstream.engine import _ingest
from stepstream.local import Provisioned, RunningGateway
from stepstream.realtime import channel, topic
from stepstream.realtime._tokens import mint_token

from ._counting import (
    InvocationCounter,
    by_service,
    counted_start,
    counting,
    drive,
    uncounting,
)

app = Stepstream(id="cost-ledger")
CHANNEL = "cost-ledger"
news = channel(CHANNEL).add_topic(topic("status", history=True).type(dict))
BIG = 400 * 1024  # over the 350 KB a step output may take inline
STEPS = 5  # one, big, nap, two, done


@app.function(id="scripted", trigger="cost/scripted")
async def scripted(ctx: Context) -> int:
    await ctx.publish(news().status, {"phase": "start"})
    one = await ctx.step.run("one", lambda: 1)
    big = await ctx.step.run("big", lambda: "z" * BIG)
    await ctx.step.sleep("nap", ctx.event.data.get("nap", "1s"))
    two = await ctx.step.run("two", lambda: one + 1)
    await ctx.step.realtime.publish("done", news().status, {"phase": "done", "len": len(big)})
    return two


@pytest.fixture
def realtime_app(aws: Provisioned, gateway: RunningGateway) -> Iterator[Stepstream]:
    app._realtime = None  # a publisher bound to this test's tables and gateway
    take_finished()
    yield app
    if app._realtime is not None:
        app._realtime.close()
    app._realtime = None


def _one_run(
    gateway: RunningGateway, nap: str = "1s"
) -> tuple[str, Counter[str], list[str], int, int]:
    """Send the event with a subscriber connected; the run id, the requests counted while the
    run was started and during its invocations, their UpdateItem expressions, the invocations
    and the frames received."""
    token = mint_token(app_id=app.id, channel=CHANNEL, topics=["status"])
    counter = InvocationCounter()
    counting(counter)
    try:
        with connect(f"{gateway.ws_url}?token={token}") as ws, pytest.MonkeyPatch.context() as m:
            m.setattr(_ingest, "start_run", counted_start(counter))
            [event_id] = app.send({"name": "cost/scripted", "data": {"nap": nap}})
            run_id = app.runs.for_event(event_id)[0].run_id
            invocations = drive(app, counter, run_id)
            frames = _frames(ws)
    finally:
        uncounting()
    return run_id, counter.take(), counter.updates, invocations, frames


def _frames(ws: Any) -> int:
    got = 0
    try:
        while True:
            frame = json.loads(ws.recv(timeout=2))
            got += len(frame.get("frames", [frame]))
    except TimeoutError:
        return got


def test_ledger_equals_the_independent_count(
    realtime_app: Stepstream, gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 3 s sleep in hops of 1 s: the timer comes back early at least once and is sent on by an
    # invocation that claims nothing, so its requests ride in the message to the next one.
    monkeypatch.setenv("STEPSTREAM_MAX_TIMER_HOP_SECONDS", "1")
    run_id, counted, _, invocations, frames = _one_run(gateway, nap="3s")

    run = realtime_app.runs.get(run_id)
    assert run is not None
    assert run.status == "completed", run.error
    cost = run.cost
    assert cost is not None
    units = cost.units
    services = by_service(counted)
    # THEN every request the counter saw is in the ledger, service by service
    assert units["dynamodb_requests"] == services["dynamodb"]
    assert units["sqs_requests"] == services["sqs"]
    assert units.get("s3_put_requests", 0) + units.get("s3_get_requests", 0) == services["s3"]
    assert units["websocket_messages"] == services["apigatewaymanagementapi"]
    assert units["websocket_messages"] >= 2
    assert frames >= 2
    assert units["lambda_invocations"] == invocations
    assert invocations >= 3  # the run's two halves and at least one hop
    # AND the offloaded output's bytes went to S3, and came back on the replay after the sleep
    assert units["s3_bytes_in"] >= BIG
    assert units["s3_bytes_out"] >= BIG
    assert units["dynamodb_write_units"] >= 1
    assert units["dynamodb_read_units"] > 0
    assert units["lambda_gb_seconds"] > 0  # the invocations ran with 1024 MB
    assert cost.usd > 0
    assert cost.region_priced == "us-east-1"
    # AND the finished run's ledger is handed to whoever reports it (the metrics)
    finished = [f for f in take_finished() if f.run_id == run_id]
    assert [f.counts for f in finished] == [units]


def test_the_ledger_adds_no_dynamodb_request_per_step(
    realtime_app: Stepstream, gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, with_ledger, updates, invocations, _ = _one_run(gateway)
    monkeypatch.setenv("STEPSTREAM_COST_LEDGER", "off")
    run_id, without, _, invocations_without, _ = _one_run(gateway)

    run = realtime_app.runs.get(run_id)
    assert run is not None
    assert run.status == "completed"
    assert run.cost is None
    ledger_writes = sum(1 for u in updates if u.startswith("ADD #c0"))
    assert ledger_writes == invocations == invocations_without
    # THEN with the ledger's own writes taken away, every DynamoDB operation was made as often
    dynamo = Counter({k: n for k, n in with_ledger.items() if k.startswith("dynamodb:")})
    dynamo["dynamodb:UpdateItem"] -= ledger_writes
    assert +dynamo == Counter({k: n for k, n in without.items() if k.startswith("dynamodb:")})
    per_step_with = sum(n for k, n in with_ledger.items() if k.startswith("dynamodb:")) / STEPS
    per_step_without = sum(n for k, n in without.items() if k.startswith("dynamodb:")) / STEPS
    print(
        f"DynamoDB requests per step: {per_step_with:.1f} with the ledger, "
        f"{per_step_without:.1f} without ({invocations} invocations)"
    )
