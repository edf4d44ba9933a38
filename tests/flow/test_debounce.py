"""GIVEN a function debounced for 1 s per document (async) and one with a 2 s timeout (sync)
WHEN events keep arriving
THEN one run starts with the last event once the key has been quiet for the period, other keys
debounce apart, and a key that never goes quiet still starts at the timeout."""

from __future__ import annotations

import time

import pytest

from stepstream import Context, Debounce, Stepstream, SyncContext

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-debounce")


@app.function(
    id="debounced-async",
    trigger="flow/debounce-async",
    debounce=Debounce(period="1s", key="event.data.doc"),
)
async def debounced_async(ctx: Context) -> int:
    return int(ctx.event.data["n"])


@app.function(
    id="debounced-sync",
    trigger="flow/debounce-sync",
    debounce=Debounce(period="1s", timeout="2s"),
)
def debounced_sync(ctx: SyncContext) -> int:
    return int(ctx.event.data["n"])


def outputs(harness: Harness, function_id: str, count: int) -> list[int]:
    def done() -> bool:
        runs = app.runs.recent(20, function_id)
        return len(runs) >= count and all(r.status == "completed" for r in runs)

    harness.drive(done, timeout=20)
    return sorted(r.output for r in app.runs.recent(20, function_id))


@pytest.mark.also_on_aws
@pytest.mark.timeout(60)
def test_one_run_with_the_last_event_after_quiet(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    for n in range(3):
        harness.send("flow/debounce-async", {"doc": "a", "n": n})
    harness.send("flow/debounce-async", {"doc": "b", "n": 10})
    assert app.runs.recent(20, "debounced-async") == [], "nothing starts before the quiet period"
    assert outputs(harness, "debounced-async", 2) == [2, 10]
    time.sleep(1.5)
    harness.poller.poll_once(wait_seconds=0)
    assert len(app.runs.recent(20, "debounced-async")) == 2, "no further run"


@pytest.mark.timeout(60)
def test_a_key_that_never_goes_quiet_starts_at_the_timeout(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    started = time.monotonic()
    n = 0
    while not app.runs.recent(20, "debounced-sync"):
        assert time.monotonic() - started < 10, "never started"
        harness.send("flow/debounce-sync", {"n": n})
        n += 1
        harness.drive(lambda: True)
        harness.poller.poll_once(wait_seconds=0)
        time.sleep(0.3)
    assert time.monotonic() - started < 4
    assert n >= 5, "events kept coming for longer than the period"
