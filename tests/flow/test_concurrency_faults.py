"""Fault test for concurrency: 500 runs across 20 keys with limit 3, while executors die at
random points (their slots come back only when their leases expire), SQS delivers start
messages twice and eight executors race.

THEN at no instant do more than 3 step bodies of one key run (recorded by the bodies), every
run completes, and at the end no slot is held and no run is in line.

It runs on the in-memory backends and on DynamoDB/SQS in moto over HTTP (``also_on_aws``; 60
runs there in ``make test``, as moto copies a whole table per TransactWriteItems, and the full 500
with ``CHAOS_FULL=1``, ``make chaos``)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import pytest

from stepstream import Concurrency, Context, Stepstream
from stepstream.engine import _faults
from stepstream.engine._flow._concurrency import counters
from stepstream.handlers import executor_handler

from ..engine.harness import EngineEnv

FULL = os.environ.get("CHAOS_FULL") == "1"
RUNS = {"memory": 500, "aws": 500 if FULL else 60}
BODY_SECONDS = {"memory": 0.01, "aws": 0.3}
"""On moto a checkpoint takes longer than a 10 ms body: longer bodies let a key's runs overlap, so
the limit is reached there too."""
TIMEOUT_MS = {"memory": 1000, "aws": 8000}
"""The poller ends an invocation at its timeout, as Lambda does. In memory each invocation runs
one step (the hand-over margin is larger than the timeout), so a run takes its slot three
times; on moto, whose requests are slower, a run's three steps go in one invocation: three times
fewer invocations, and a timeout a loaded machine's invocation stays within."""
pace = {"body_seconds": 0.01}
KEYS = 20
LIMIT = 3
EXECUTORS = 8
app = Stepstream(id="flow-concurrency-faults")
lock = threading.Lock()
running: Counter[str] = Counter()
peak: Counter[str] = Counter()
progress: Counter[str] = Counter()
returned: set[str] = set()
"""Runs whose function returned: the cheap progress signal. The store says which completed;
reading 500 runs from it costs moto a scan of the table, so it is read when this says all."""


def body(key: str) -> int:
    with lock:
        running[key] += 1
        peak[key] = max(peak[key], running[key])
        progress["bodies"] += 1
    time.sleep(pace["body_seconds"])
    with lock:
        running[key] -= 1
    return 1


@app.function(
    id="limited",
    trigger="flow/faults",
    concurrency=Concurrency(limit=LIMIT, key="event.data.key"),
)
async def limited(ctx: Context) -> int:
    key = str(ctx.event.data["key"])
    total = sum([await ctx.step.run(f"s{i}", body, key) for i in range(3)])
    with lock:
        returned.add(ctx.run_id)
    return total


class Killer:
    POINTS = (_faults.BEFORE_BODY, _faults.AFTER_BODY, _faults.AFTER_CHECKPOINT)

    def __init__(self, seed: int, probability: float) -> None:
        self.rng = random.Random(seed)
        self.probability = probability
        self.per_run: Counter[str] = Counter()
        self.kills = 0
        self.lock = threading.Lock()

    def __call__(self, point: str, run_id: str, step_hash: str) -> None:
        if point not in self.POINTS:
            return
        with self.lock:
            if self.per_run[run_id] >= 1 or self.rng.random() >= self.probability:
                return
            self.per_run[run_id] += 1
            self.kills += 1
        raise _faults.SimulatedCrash(point)


@pytest.mark.slow
@pytest.mark.also_on_aws
@pytest.mark.timeout(1500 if FULL else 300)
def test_no_key_ever_runs_more_than_its_limit_under_kills(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = RUNS[engine_env.kind]
    monkeypatch.setitem(pace, "body_seconds", BODY_SECONDS[engine_env.kind])
    if engine_env.kind == "aws":
        monkeypatch.setenv("STEPSTREAM_HANDOVER_MS", "200")
    running.clear()
    peak.clear()
    returned.clear()
    progress.clear()
    killer = Killer(seed=11, probability=0.01 if runs >= 500 else 0.03)
    monkeypatch.setattr(app, "fault_hook", killer)
    # a key's runs arrive together, so the executors contend on one key at a time
    per_key = runs // KEYS
    events = [{"name": "flow/faults", "data": {"key": f"k{i // per_key}"}} for i in range(runs)]
    app.send(events)
    state = app.backends().state
    queue = app.backends().queue
    run_ids = [r.run_id for r in state.recent_runs(runs + 10, "limited")]
    assert len(run_ids) == runs
    for run_id in run_ids[::3]:
        queue.send({"run_id": run_id, "kind": "start"})  # SQS at-least-once
    pollers = [
        engine_env.poller(
            executor_handler(app),
            wait_seconds=1,
            visibility_timeout=2,
            timeout_ms=TIMEOUT_MS[engine_env.kind],
        )
        for _ in range(EXECUTORS)
    ]
    for poller in pollers:
        poller.start()
    try:
        started = time.monotonic()
        deadline = started + (1400 if FULL else 240)
        said = started
        while time.monotonic() < deadline:
            with lock:
                ready = len(returned)
            if ready == runs and all(
                r.status == "completed" for r in state.recent_runs(runs + 10, "limited")
            ):
                break
            if time.monotonic() - said >= 10:
                said = time.monotonic()
                print(
                    f"[flow faults {engine_env.kind}] {said - started:.0f} s: {ready}/{runs} "
                    f"runs returned, {progress['bodies']} step bodies run, {killer.kills} kills, "
                    f"peak {max(peak.values(), default=0)}",
                    flush=True,
                )
            time.sleep(0.5 if ready < runs else 2)
    finally:
        for poller in pollers:
            poller.stop()
    statuses = Counter(r.status for r in state.recent_runs(runs + 10, "limited"))
    assert statuses == {"completed": runs}, statuses
    assert killer.kills > 0
    assert max(peak.values()) <= LIMIT, peak
    assert max(peak.values()) == LIMIT, "the limit was reached: the test pushed hard enough"
    fn = app.get_function("limited")
    assert fn is not None
    for i in range(KEYS):
        [counter] = counters(fn, {"name": "flow/faults", "data": {"key": f"k{i}"}})
        assert state.slot_holders(counter.limit.key) == {}, f"k{i} leaked a slot"
        assert state.first_waiters(counter.limit.key, 5) == []
