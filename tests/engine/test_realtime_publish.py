"""GIVEN a function that publishes realtime messages WHEN it is replayed after a sleep or after
a crash THEN ctx.publish is skipped for the replayed part, and step.realtime.publish stores
and sends its message once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults
from stepstream.local._provision import Provisioned
from stepstream.realtime import channel, topic
from stepstream.store._connections import ConnectionStore

from .harness import Harness

app = Stepstream(id="test-realtime")
progress = (
    channel(lambda run_id: f"progress:{run_id}")
    .add_topic(topic("status", history=True).type(dict))
    .add_topic(topic("result").type(dict))
)


@app.function(id="publisher", trigger="test/publish")
async def publisher(ctx: Context) -> str:
    ch = progress(ctx.run_id)
    await ctx.publish(ch.status, {"phase": "start"})
    await ctx.step.sleep("nap", "1s")
    await ctx.publish(ch.status, {"phase": "resumed"})
    frame = await ctx.step.realtime.publish("result", ch.result, {"ok": True})
    return str(frame["id"])


@pytest.fixture
def realtime_app(engine_env: Provisioned) -> Iterator[Stepstream]:
    app._realtime = None  # a fresh publisher bound to this test's tables
    yield app
    if app._realtime is not None:
        app._realtime.close()
    app._realtime = None
    app.fault_hook = None


def kept(run_id: str) -> list[tuple[str, object]]:
    frames = ConnectionStore().history(f"progress:{run_id}", after_seq=0)
    return [(f["topic"], f["data"]) for f in frames]


def test_publish_is_skipped_while_replaying(
    realtime_app: Stepstream, engine_env: Provisioned
) -> None:
    h = Harness(realtime_app, engine_env)
    run_id = h.run_of(h.send("test/publish"))

    run = h.finish(run_id)

    assert run.status == "completed", run.error
    # THEN "start" was published once although the function ran from the top twice
    assert kept(run_id) == [
        ("status", {"phase": "start"}),
        ("status", {"phase": "resumed"}),
        ("result", {"ok": True}),
    ]
    result_step = next(s for s in run.steps if s.id == "result")
    assert run.output == f"{run_id}:{result_step.hash}"


def test_durable_publish_happens_once_across_a_crash(
    realtime_app: Stepstream, engine_env: Provisioned
) -> None:
    crashes: list[str] = []

    def hook(point: str, run_id: str, step_hash: str) -> None:
        # GIVEN the executor dies after the durable publish but before its checkpoint
        if point == _faults.AFTER_BODY and not crashes:
            crashes.append(step_hash)
            raise _faults.SimulatedCrash()

    realtime_app.fault_hook = hook
    h = Harness(realtime_app, engine_env, visibility_timeout=1, timeout_ms=2000)
    run_id = h.run_of(h.send("test/publish"))

    run = h.finish(run_id, timeout=30)

    assert crashes
    assert run.status == "completed"
    results = [frame for frame in kept(run_id) if frame[0] == "result"]
    assert results == [("result", {"ok": True})]
