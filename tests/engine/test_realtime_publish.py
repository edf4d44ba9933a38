"""GIVEN a function that publishes realtime messages WHEN it is replayed after a sleep or after
a crash THEN ctx.publish is skipped for the replayed part, and step.realtime.publish stores
and sends its message once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults
from stepstream.realtime import Realtime, channel, topic
from stepstream.store import ConnectionStore

from .harness import EngineEnv, Harness

pytestmark = pytest.mark.only_on_aws  # the realtime store is DynamoDB only

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
def realtime_app(engine_env: EngineEnv) -> Iterator[Stepstream]:
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
    realtime_app: Stepstream, engine_env: EngineEnv
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
    realtime_app: Stepstream, engine_env: EngineEnv
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


class RecordingRealtime(Realtime):
    """The real publisher, noting the run frames it is asked to send."""

    def __init__(self, app_id: str) -> None:
        super().__init__(app_id)
        self.statuses: list[tuple[str, list[str]]] = []

    async def run_status(self, *, run_id: str, fn_id: str, status: str, **kwargs: Any) -> None:
        self.statuses.append((status, list(kwargs.get("channels", ()))))
        await super().run_status(run_id=run_id, fn_id=fn_id, status=status, **kwargs)


@app.function(id="quiet-finish", trigger="test/quiet-finish")
async def quiet_finish(ctx: Context) -> str:
    await ctx.publish(progress(ctx.run_id).status, {"phase": "start"})
    await ctx.step.sleep("nap", "1s")
    return "done"  # the second invocation publishes nothing itself


def test_run_frames_reach_channels_published_in_earlier_invocations(
    realtime_app: Stepstream, engine_env: EngineEnv
) -> None:
    recorder = RecordingRealtime(realtime_app.id)
    realtime_app._realtime = recorder
    h = Harness(realtime_app, engine_env)
    run_id = h.run_of(h.send("test/quiet-finish"))

    h.finish(run_id)

    channel_name = f"progress:{run_id}"
    assert recorder.statuses == [("running", [channel_name]), ("completed", [channel_name])]
