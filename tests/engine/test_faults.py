"""Fault test: 200 runs of a 5-step workflow while executors die at random points, SQS
delivers messages twice, and several executors race on the same runs.

GIVEN four pollers (executors) on one queue with a 1 s visibility timeout, a fault hook that
kills the executor (a BaseException: nothing after it runs, the message is not deleted) before
or after step bodies and before or after checkpoints, and duplicate copies of start messages
WHEN 200 runs execute
THEN every run completes; every step body ran at least once (a counter inside the body); each
step has exactly one stored result; and the function saw exactly the stored results.

It runs on the in-memory backends and on DynamoDB/SQS on moto (``also_on_aws``)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults
from stepstream.handlers import executor_handler
from stepstream.local import QueuePoller

from .harness import EngineEnv

RUNS = 200
STEPS = 5
EXECUTORS = 4
app = Stepstream(id="test-faults")
body_runs: Counter[tuple[str, str]] = Counter()
lock = threading.Lock()


def body(run_id: str, step: str) -> str:
    with lock:
        body_runs[(run_id, step)] += 1
    # a fresh token per body run: if two results were ever used, the output would show it
    return uuid.uuid4().hex


@app.function(id="five-steps", trigger="test/faults")
async def five_steps(ctx: Context) -> list[str]:
    return [await ctx.step.run(f"s{i}", body, ctx.run_id, f"s{i}") for i in range(STEPS)]


class Killer:
    """Kills the executor at a random fault point, at most twice per run."""

    POINTS = (
        _faults.BEFORE_BODY,
        _faults.AFTER_BODY,
        _faults.BEFORE_CHECKPOINT,
        _faults.AFTER_CHECKPOINT,
    )

    def __init__(self, seed: int, probability: float) -> None:
        self.rng = random.Random(seed)
        self.probability = probability
        self.kills: Counter[str] = Counter()
        self.per_run: Counter[str] = Counter()
        self.refused = 0
        """Claims refused because another executor held the run: the races happened."""
        self.lock = threading.Lock()

    def __call__(self, point: str, run_id: str, step_hash: str) -> None:
        if point == _faults.CLAIM_REFUSED:
            with self.lock:
                self.refused += 1
        if point not in self.POINTS:
            return
        with self.lock:
            if self.per_run[run_id] >= 2 or self.rng.random() >= self.probability:
                return
            self.per_run[run_id] += 1
            self.kills[point] += 1
        raise _faults.SimulatedCrash(point)


BATCHES = {"aws": 4, "memory": 1}
"""On moto the 200 runs go through in batches on fresh tables: moto copies a whole table for
every TransactWriteItems (its rollback), so its cost grows with the table; real DynamoDB's and
the in-memory store's do not."""


def run_batch(env: EngineEnv, size: int) -> tuple[list[str], list[QueuePoller]]:
    state = app.backends().state
    pollers = [
        env.poller(executor_handler(app), wait_seconds=1, visibility_timeout=3, timeout_ms=2000)
        for _ in range(EXECUTORS)
    ]
    events = [{"name": "test/faults", "data": {"n": i}} for i in range(size)]
    with ThreadPoolExecutor(EXECUTORS) as pool:  # ingestion is sequential per call
        list(pool.map(app.send, [events[i::EXECUTORS] for i in range(EXECUTORS)]))
    run_ids = [r.run_id for r in state.recent_runs(size + 10, "five-steps")]
    assert len(run_ids) == size
    # SQS at-least-once: a third of the start messages arrive twice
    queue = app.backends().queue
    for run_id in run_ids[::3]:
        queue.send({"run_id": run_id, "kind": "start"})
    for poller in pollers:
        poller.start()
    try:
        deadline = time.monotonic() + 90
        pending = set(run_ids)
        while pending and time.monotonic() < deadline:
            time.sleep(0.5)
            for run in state.recent_runs(size + 10, "five-steps"):
                if run.status == "completed":
                    pending.discard(run.run_id)
    finally:
        for poller in pollers:
            poller.stop()
    assert not pending, f"{len(pending)} runs did not complete"
    for run_id in run_ids:
        record, steps = state.load_run(run_id)
        assert record is not None
        assert record.status == "completed"
        # exactly one stored, final result per step, and the function returned exactly those
        assert sorted(s.id for s in steps) == [f"s{i}" for i in range(STEPS)]
        assert all(s.status == "ok" for s in steps)
        stored = {s.id: s.output_json for s in steps}
        assert (
            record.output_json == "[" + ",".join(stored[f"s{i}"] or "" for i in range(STEPS)) + "]"
        )
        for i in range(STEPS):
            assert body_runs[(run_id, f"s{i}")] >= 1
    return run_ids, pollers


@pytest.mark.slow
@pytest.mark.also_on_aws
@pytest.mark.timeout(240)
def test_runs_survive_crashes_duplicates_and_racing_executors(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # short invocations (2 s) that still run a whole run each unless they crash
    monkeypatch.setenv("STEPSTREAM_HANDOVER_MS", "200")
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    body_runs.clear()
    killer = Killer(seed=20261122, probability=0.012)
    app.fault_hook = killer
    all_runs: list[str] = []
    pollers: list[QueuePoller] = []
    try:
        batches = BATCHES[engine_env.kind]
        for _ in range(batches):
            engine_env.fresh()
            runs, batch_pollers = run_batch(engine_env, RUNS // batches)
            all_runs += runs
            pollers += batch_pollers
    finally:
        app.fault_hook = None

    assert len(set(all_runs)) == RUNS
    assert sum(killer.kills.values()) >= 20, killer.kills
    assert all(killer.kills[p] > 0 for p in Killer.POINTS), killer.kills
    assert sum(p.crashes for p in pollers) == sum(killer.kills.values())
    assert killer.refused > 0  # duplicates met a run another executor held or had finished
    reruns = sum(n - 1 for n in body_runs.values())
    print(
        f"\nfault test ({engine_env.kind}): {RUNS} runs, kills {dict(killer.kills)}, "
        f"step bodies re-run {reruns} times, claims refused {killer.refused}, "
        f"invocations {sum(p.invocations for p in pollers)}"
    )
