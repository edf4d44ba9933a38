"""GIVEN the local stack as ``make dev`` runs it (the template's executor mapping polled by
several concurrent invocations, moto over HTTP, events through the HTTP API) and a function per
flow-control option whose steps record when they ran (``dev_flow_app``)
WHEN events arrive together, so their invocations run at once
THEN each limit holds: at no instant more steps of a concurrency key than its limit, throttled
starts one period apart, one run per rate-limit period, never two singleton runs at once, a
debounced run with the last event, batches of at most max_size that hold every event exactly
once, high-priority runs started before the low ones queued ahead of them, and runs cancelled
(saying why) when not started or not finished in time.

Orders and counts only: nothing here depends on how fast the machine is."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from stepstream.local import LocalStack, StackOptions
from tests.flow import dev_flow_app
from tests.support.aws import TEMPLATE, MotoEndpoint

AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
TERMINAL = ("completed", "failed", "cancelled")


@pytest.fixture(scope="module")
def stack(moto_endpoint: MotoEndpoint) -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEPSTREAM_APP", "tests.flow.dev_flow_app:app")
        options = StackOptions(
            template=TEMPLATE,
            aws_endpoint=moto_endpoint.url,
            resource_prefix=f"df{uuid.uuid4().hex[:8]}-",
            dashboard=False,
            schedules=False,
        )
        with LocalStack(options) as running:
            [poller] = [p for p in running.pollers if p.function_name == "ExecutorFunction"]
            assert poller.max_concurrency > 1, "the executor mapping runs invocations at once"
            yield running


def send(stack: LocalStack, events: list[dict[str, Any]]) -> list[str]:
    answer = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json=events, timeout=20)
    assert answer.status_code == 200, answer.text
    return [str(i) for i in answer.json()["ids"]]


def runs(stack: LocalStack, function_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{stack.url}/v1/runs",
        params={"function_id": function_id, "limit": 100},
        headers=AUTH,
        timeout=20,
    )
    return list(answer.json()["data"])


def settled(stack: LocalStack, function_id: str, count: int, timeout: float = 45) -> list[Any]:
    """The function's runs once ``count`` exist and all have ended."""
    deadline = time.monotonic() + timeout
    while True:
        found = runs(stack, function_id)
        if len(found) >= count and all(r["state"] in TERMINAL for r in found):
            return found
        assert time.monotonic() < deadline, f"{function_id}: {[r['state'] for r in found]}"
        time.sleep(0.2)


def steps(function_id: str) -> list[tuple[str, float, float]]:
    with dev_flow_app.LOCK:
        return [(k, s, e) for f, k, s, e in dev_flow_app.STEPS if f == function_id]


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    now = peak = 0
    for _, change in edges:  # an end sorts before a start at the same instant
        now += change
        peak = max(peak, now)
    return peak


def test_concurrency_holds_per_key_with_invocations_at_once(stack: LocalStack) -> None:
    send(stack, [{"name": "dev/concurrency", "data": {"user": f"u{i % 2}"}} for i in range(8)])
    done = settled(stack, "dev-concurrency", 8)
    assert [r["state"] for r in done] == ["completed"] * 8
    recorded = steps("dev-concurrency")
    assert len(recorded) == 16
    for user in ("u0", "u1"):
        assert most_at_once([(s, e) for k, s, e in recorded if k == user]) <= 2


def test_throttled_starts_are_a_period_apart(stack: LocalStack) -> None:
    send(stack, [{"name": "dev/throttle"} for _ in range(3)])
    done = settled(stack, "dev-throttle", 3)
    assert [r["state"] for r in done] == ["completed"] * 3
    starts = sorted(s for _, s, _ in steps("dev-throttle"))
    # Each run starts no earlier than its reserved slot, one period after the previous one;
    # a loaded machine may start one late, never early (100 ms for the timer's rounding).
    for earlier, later in itertools.pairwise(starts):
        assert later - earlier >= 0.9, starts


def test_a_rate_limit_drops_the_rest_and_says_so(stack: LocalStack) -> None:
    send(stack, [{"name": "dev/rate"} for _ in range(4)])
    done = settled(stack, "dev-rate", 4)
    assert sorted(r["state"] for r in done) == ["cancelled"] * 3 + ["completed"]
    assert {r["held"]["reason"] for r in done if r["state"] == "cancelled"} == {"rate_limited"}
    assert len(steps("dev-rate")) == 1


def test_a_singleton_never_runs_twice_at_once(stack: LocalStack) -> None:
    send(stack, [{"name": "dev/singleton"} for _ in range(4)])
    done = settled(stack, "dev-singleton", 4)
    # How many were skipped depends on how soon the first run ended; none overlapped.
    completed = [r for r in done if r["state"] == "completed"]
    skipped = [r for r in done if r["state"] == "cancelled"]
    assert len(completed) >= 1
    assert len(completed) + len(skipped) == 4
    assert {r["held"]["reason"] for r in skipped} <= {"singleton"}
    recorded = steps("dev-singleton")
    assert len(recorded) == len(completed)
    assert most_at_once([(s, e) for _, s, e in recorded]) == 1


def test_a_debounce_starts_its_run_with_the_last_event(stack: LocalStack) -> None:
    ids = send(stack, [{"name": "dev/debounce", "data": {"doc": "d", "n": n}} for n in range(5)])
    deadline = time.monotonic() + 45
    while not any(r["event_id"] == ids[-1] for r in runs(stack, "dev-debounce")):
        assert time.monotonic() < deadline, "no run with the last event"
        time.sleep(0.2)
    done = settled(stack, "dev-debounce", 1)
    # One run unless the five events took longer than the quiet period to arrive; each run
    # starts with the last event of its window, so in creation order they rise to the last.
    outputs = [r["output"] for r in sorted(done, key=lambda r: r["created_at"])]
    assert outputs[-1] == 4
    assert outputs == sorted(set(outputs)), outputs


def test_batches_hold_every_event_once(stack: LocalStack) -> None:
    ids = send(stack, [{"name": "dev/batch", "data": {"n": n}} for n in range(7)])
    deadline = time.monotonic() + 45
    while sum(len(b) for b in dev_flow_app.BATCHES) < 7:
        assert time.monotonic() < deadline, dev_flow_app.BATCHES
        time.sleep(0.2)
    done = settled(stack, "dev-batch", len(dev_flow_app.BATCHES))
    assert all(r["state"] == "completed" for r in done)
    assert all(len(b) <= 3 for b in dev_flow_app.BATCHES)
    assert sorted(i for b in dev_flow_app.BATCHES for i in b) == sorted(ids)


def gate(name: str) -> threading.Event:
    with dev_flow_app.LOCK:
        return dev_flow_app.GATES.setdefault(name, threading.Event())


def until(what: str, check: Callable[[], bool], timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def states(stack: LocalStack, function_id: str, event_ids: list[str]) -> dict[str, Any]:
    """The runs of ``event_ids`` by event id."""
    return {r["event_id"]: r for r in runs(stack, function_id) if r["event_id"] in event_ids}


def test_high_priority_runs_start_first_when_the_slot_frees(stack: LocalStack) -> None:
    free = gate("priority")
    try:
        [holder] = send(stack, [{"name": "dev/priority", "data": {"hold": "priority"}}])
        until(
            "holder running",
            lambda: (
                states(stack, "dev-priority", [holder]).get(holder, {}).get("state") == "running"
            ),
        )
        low = send(stack, [{"name": "dev/priority", "data": {"name": f"low{i}"}} for i in range(3)])
        high = send(
            stack,
            [
                {"name": "dev/priority", "data": {"name": f"high{i}", "high": True}}
                for i in range(3)
            ],
        )

        def all_in_line() -> bool:
            found = states(stack, "dev-priority", low + high)
            return len(found) == 6 and all(
                r["state"] == "queued" and (r["held"] or {}).get("reason") == "concurrency"
                for r in found.values()
            )

        until("every run in line behind the holder", all_in_line)
        assert steps("dev-priority") == []
    finally:
        free.set()
    done = settled(stack, "dev-priority", 7)
    assert [r["state"] for r in done] == ["completed"] * 7
    started = [k for k, _, _ in sorted(steps("dev-priority"), key=lambda s: s[1])]
    # Later arrivals, but 120 s ahead in line; within a priority, no order is asserted.
    assert sorted(started[:3]) == ["high0", "high1", "high2"], started
    assert sorted(started[3:]) == ["low0", "low1", "low2"], started


def test_a_run_not_started_in_time_is_cancelled_while_another_holds_the_slot(
    stack: LocalStack,
) -> None:
    free = gate("slot")
    try:
        [holder] = send(stack, [{"name": "dev/slot-holder", "data": {"hold": "slot"}}])
        until(
            "holder running",
            lambda: (
                states(stack, "dev-slot-holder", [holder]).get(holder, {}).get("state") == "running"
            ),
        )
        [late] = send(stack, [{"name": "dev/timeout-start"}])
        until(
            "late run cancelled",
            lambda: (
                states(stack, "dev-timeout-start", [late]).get(late, {}).get("state") in TERMINAL
            ),
        )
        # The holder still has the slot: the late run was cancelled in line, not after a run.
        assert states(stack, "dev-slot-holder", [holder])[holder]["state"] == "running"
    finally:
        free.set()
    [cancelled] = settled(stack, "dev-timeout-start", 1)
    assert cancelled["state"] == "cancelled"
    assert cancelled["held"]["reason"] == "start_timeout"
    assert steps("dev-timeout-start") == []
    [held] = settled(stack, "dev-slot-holder", 1)
    assert held["state"] == "completed"


def test_a_run_not_finished_in_time_is_cancelled(stack: LocalStack) -> None:
    send(stack, [{"name": "dev/timeout-finish"}])
    [done] = settled(stack, "dev-timeout-finish", 1)
    assert done["state"] == "cancelled"
    assert done["held"]["reason"] == "finish_timeout"
    assert len(steps("dev-timeout-finish")) == 1  # it started, ran its step, then slept
