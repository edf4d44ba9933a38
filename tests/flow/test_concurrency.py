"""GIVEN functions (async and sync) with concurrency limits: per key, two keys, a limit that
sleeping and waiting runs do not use, and a slot whose holder's executor died
WHEN many runs execute on several executors at once
THEN at no instant do more runs of a key execute steps than its limit (recorded by the steps
themselves), the limit is reached, every run completes, a run parked behind a full key says so,
and at the end no slot is held and nobody is in line."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from stepstream import Concurrency, Context, Stepstream, SyncContext
from stepstream.engine._flow._concurrency import counters, release
from stepstream.handlers import executor_handler
from stepstream.local import QueuePoller
from stepstream.store import RunRecord, SlotLimit

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-concurrency")
lock = threading.Lock()
running: Counter[str] = Counter()
peak: Counter[str] = Counter()


def work(*keys: str) -> None:
    """A step body that records how many bodies of each key run at this instant."""
    with lock:
        for key in keys:
            running[key] += 1
            peak[key] = max(peak[key], running[key])
    time.sleep(0.05)
    with lock:
        for key in keys:
            running[key] -= 1


@app.function(
    id="per-user-async",
    trigger="flow/per-user-async",
    concurrency=Concurrency(limit=2, key="event.data.user"),
)
async def per_user_async(ctx: Context) -> str:
    user = str(ctx.event.data["user"])
    await ctx.step.run("one", work, f"async:{user}")
    await ctx.step.run("two", work, f"async:{user}")
    return user


@app.function(
    id="two-keys-sync",
    trigger="flow/two-keys-sync",
    concurrency=[Concurrency(limit=1, key="event.data.user"), Concurrency(limit=2)],
)
def two_keys_sync(ctx: SyncContext) -> str:
    user = str(ctx.event.data["user"])
    ctx.step.run("one", work, f"sync:{user}", "sync:all")
    return user


@app.function(id="waits", trigger="flow/waits", concurrency=1)
async def waits(ctx: Context) -> Any:
    await ctx.step.run("before", work, "waits")
    got = await ctx.step.wait_for_event("go", event="flow/go", timeout="1m", match="data.n")
    return got.data["n"] if got else None


def drive(env: EngineEnv, until: Callable[[], bool], executors: int = 4) -> None:
    pollers: list[QueuePoller] = [
        env.poller(executor_handler(app), wait_seconds=0.2, visibility_timeout=3, timeout_ms=5000)
        for _ in range(executors)
    ]
    for poller in pollers:
        poller.start()
    try:
        deadline = time.monotonic() + 60
        while not until():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)
    finally:
        for poller in pollers:
            poller.stop()


def statuses(function_id: str) -> Counter[str]:
    return Counter(r.status for r in app.runs.recent(200, function_id))


def assert_nothing_held(function_id: str, events: list[dict[str, Any]]) -> None:
    state = app.backends().state
    fn = app.get_function(function_id)
    assert fn is not None
    for event in events:
        for counter in counters(fn, event):
            assert state.slot_holders(counter.limit.key) == {}
            assert state.first_waiters(counter.limit.key, 5) == []


@pytest.fixture(autouse=True)
def clean() -> None:
    running.clear()
    peak.clear()


@pytest.mark.also_on_aws
@pytest.mark.timeout(120)
def test_a_key_never_runs_more_than_its_limit(engine_env: EngineEnv) -> None:
    events = [{"name": "flow/per-user-async", "data": {"user": f"u{i % 2}"}} for i in range(10)]
    app.send(events)
    drive(engine_env, lambda: statuses("per-user-async")["completed"] == 10)
    assert (peak["async:u0"], peak["async:u1"]) == (2, 2), peak
    assert_nothing_held("per-user-async", events)


def test_two_keys_both_hold(engine_env: EngineEnv) -> None:
    events = [{"name": "flow/two-keys-sync", "data": {"user": f"u{i % 3}"}} for i in range(9)]
    app.send(events)
    drive(engine_env, lambda: statuses("two-keys-sync")["completed"] == 9)
    assert max(peak[f"sync:u{i}"] for i in range(3)) == 1, peak
    assert peak["sync:all"] == 2, peak
    assert_nothing_held("two-keys-sync", events)


def test_waiting_runs_hold_no_slot(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    first = harness.run_of(harness.send("flow/waits", {"n": 1}))
    second = harness.run_of(harness.send("flow/waits", {"n": 2}))
    harness.settle(first, "waiting")
    harness.settle(second, "waiting")  # limit 1, yet both got past their first step
    harness.send("flow/go", {"n": 2})
    harness.send("flow/go", {"n": 1})
    assert harness.finish(first).output == 1
    assert harness.finish(second).output == 2
    assert_nothing_held("waits", [{"name": "flow/waits", "data": {}}])


@pytest.mark.also_on_aws
def test_a_parked_run_says_why_and_starts_when_the_slot_frees(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    fn = app.get_function("per-user-async")
    assert fn is not None
    event = {"name": "flow/per-user-async", "data": {"user": "busy"}}
    key = counters(fn, event)[0].limit.key
    state = app.backends().state
    far = int(time.time() * 1000) + 600_000
    assert state.acquire_slots("holder-a", [SlotLimit(key, 2)], far) is None
    assert state.acquire_slots("holder-b", [SlotLimit(key, 2)], far) is None
    run_id = harness.run_of(harness.send("flow/per-user-async", {"user": "busy"}))
    harness.poller.poll_once(wait_seconds=0)
    view = app.runs.get(run_id)
    assert view is not None
    assert view.status == "queued"
    assert view.held is not None
    assert view.held["reason"] == "concurrency"
    assert "event.data.user = 'busy'" in view.held["label"]
    # the holder finishes: freeing its slot wakes the parked run, no timer involved
    release(app.backends(), fn, RunRecord("holder-a", fn.id, event), far)
    assert harness.finish(run_id, timeout=5).status == "completed"


def test_a_dead_holders_slot_returns_when_its_lease_expires(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    event = {"name": "flow/waits", "data": {"n": 5}}
    fn = app.get_function("waits")
    assert fn is not None
    key = counters(fn, event)[0].limit.key
    # an executor took the only slot for a run that was then cancelled, and died
    expired = int(time.time() * 1000) - 1
    assert app.backends().state.acquire_slots("ghost", [SlotLimit(key, 1)], expired) is None
    run_id = harness.run_of(harness.send("flow/waits", {"n": 5}))
    harness.settle(run_id, "waiting", timeout=5)
    assert "ghost" not in app.backends().state.slot_holders(key)


shared = Stepstream(id="flow-concurrency-env")


@shared.function(
    id="env-a",
    trigger="flow/env-a",
    concurrency=Concurrency(limit=1, key="event.data.account", scope="env"),
)
async def env_a(ctx: Context) -> None:
    await ctx.step.run("work", work, "env:" + ctx.event.data["account"])


@shared.function(
    id="env-b",
    trigger="flow/env-b",
    concurrency=Concurrency(limit=1, key="event.data.account", scope="env"),
)
def env_b(ctx: SyncContext) -> None:
    ctx.step.run("work", work, "env:" + ctx.event.data["account"])


def test_env_scope_is_shared_by_functions(engine_env: EngineEnv) -> None:
    engine_env.use(shared)
    events = [
        {"name": f"flow/env-{'ab'[i % 2]}", "data": {"account": f"a{i % 3}"}} for i in range(12)
    ]
    shared.send(events)
    pollers = [
        engine_env.poller(executor_handler(shared), wait_seconds=0.2, timeout_ms=5000)
        for _ in range(4)
    ]
    for poller in pollers:
        poller.start()
    try:
        deadline = time.monotonic() + 60
        while sum(r.status == "completed" for r in shared.runs.recent(50)) < 12:
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)
    finally:
        for poller in pollers:
            poller.stop()
    assert max(peak[f"env:a{i}"] for i in range(3)) == 1, peak
