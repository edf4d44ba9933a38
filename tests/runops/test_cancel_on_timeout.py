"""GIVEN ``CancelOn(event=..., if_exp=..., timeout=...)`` WHEN the cancelling event arrives
within the timeout THEN the run is cancelled; after it, the event no longer cancels."""

from __future__ import annotations

import time

import pytest

from stepstream import CancelOn, Context, Stepstream
from stepstream.engine import _ingest
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-cancel-timeout")


@app.function(
    id="reminder",
    trigger="runops/remind",
    cancel_on=[
        CancelOn(event="runops/stop", if_exp="event.data.id == async.data.id", timeout="1h")
    ],
)
async def reminder(ctx: Context) -> str:
    await ctx.step.sleep("wait", "1h")
    return "reminded"


@pytest.mark.also_on_aws
def test_the_event_cancels_only_within_the_timeout(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    early = h.run_of(h.send("runops/remind", {"id": 1}))
    late = h.run_of(h.send("runops/remind", {"id": 2}))
    h.settle(early, "sleeping")
    h.settle(late, "sleeping")
    h.send("runops/stop", {"id": 1})
    assert h.status(early) == "cancelled"
    # WHEN the other's cancelling event is ingested two hours on (the clock moved, not waited)
    later = int(time.time() * 1000) + 2 * 3600 * 1000
    engine_env.monkeypatch.setattr(_ingest, "now_ms", lambda: later)
    h.send("runops/stop", {"id": 2})
    assert h.status(late) == "sleeping"


def test_a_bad_timeout_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="no unit"):
        CancelOn(event="x", timeout=30)  # type: ignore[arg-type]
