"""Fault test: runs of a workflow with every kind of step (a body, a sleep, a wait for an event,
an invoked child run, a durable realtime publish, another body) while executors die at every
fault point, SQS delivers messages twice, resumes arrive several times and executors race.

GIVEN four pollers (executors) on one queue with a 3 s visibility timeout (a crashed
invocation's message comes back after it), a fault hook that kills the executor (a
BaseException: nothing after it runs, the message is not deleted) before and after step bodies,
before and after checkpoints, between reaching a wait and storing it, and ingestion after it
stored an event (the sender then retries with the same id once the event's claim has lapsed);
a queue that sends a fifth of its messages twice; duplicate start messages; answers sent twice
(same id, or a second matching event) and extra ``resume`` messages
WHEN the runs execute
THEN every run and child run completes with one stored, final result per step; the function saw
exactly the stored results and its wait's answer; no run is left leased; each durable message is
kept exactly once (moto only: the realtime store is DynamoDB); and each body ran once plus at
most once per execution killed between its body and its checkpoint (or whose lease lapsed).

It runs on the in-memory backends and on DynamoDB/SQS on moto (``also_on_aws``); ``CHAOS_FULL=1``
(``make chaos``) runs the full size. tests/chaos runs the same workflow in executor processes
that are SIGKILLed."""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from stepstream.engine import _faults, _ingest
from stepstream.handlers import executor_handler
from stepstream.local import QueuePoller
from stepstream.store import ConnectionStore
from tests.chaos import workflow
from tests.chaos.scenario import Driver, check
from tests.chaos.workflow import app

from .harness import EngineEnv

FULL = os.environ.get("CHAOS_FULL") == "1"
RUNS = {"memory": 300 if FULL else 150, "aws": 200 if FULL else 20}
BATCH = 50
"""On moto the runs go through in batches on fresh tables: moto copies a whole table for every
TransactWriteItems (its rollback), so its cost grows with the table; real DynamoDB's and the
in-memory store's do not."""
EXECUTORS = 4
TIMEOUT_MS = 2000


class Killer:
    """Kills the executor (or the ingesting sender) at a random fault point, at most twice per
    run or event."""

    POINTS = (
        _faults.BEFORE_BODY,
        _faults.AFTER_BODY,
        _faults.BEFORE_CHECKPOINT,
        _faults.AFTER_CHECKPOINT,
        _faults.WAIT_REACHED,
        _faults.EVENT_STORED,
    )
    PROBABILITY = {_faults.WAIT_REACHED: 0.08, _faults.EVENT_STORED: 0.03}

    def __init__(self, seed: int, probability: float) -> None:
        self.rng = random.Random(seed)
        self.probability = probability
        self.kills: Counter[str] = Counter()
        self.per_subject: Counter[str] = Counter()
        self.lost: Counter[tuple[str, str]] = Counter()
        """Per (run, step hash): executions killed after their body ran, before it was stored."""
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
            chance = self.PROBABILITY.get(point, self.probability)
            if self.per_subject[run_id] >= 2 or self.rng.random() >= chance:
                return
            self.per_subject[run_id] += 1
            self.kills[point] += 1
            if point in (_faults.AFTER_BODY, _faults.BEFORE_CHECKPOINT):
                self.lost[(run_id, step_hash)] += 1
        raise _faults.SimulatedCrash(point)


@pytest.fixture
def chaos_app(engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # short invocations (2 s) that still run a whole run each unless they crash
    monkeypatch.setenv("STEPSTREAM_HANDOVER_MS", "200")
    # a sender retries a crashed ingestion once its claim lapses; 1 s instead of 30 keeps the
    # test short and takes the same takeover path
    monkeypatch.setattr(_ingest, "EVENT_CLAIM_MS", 1000)
    workflow.journal.clear()
    yield
    app.fault_hook = None
    if app._realtime is not None:
        app._realtime.close()
    app._realtime = None


def run_batch(engine_env: EngineEnv, size: int, seed: int) -> tuple[Driver, list[QueuePoller]]:
    publish = engine_env.kind == "aws"
    if app._realtime is not None:
        app._realtime.close()
    app._realtime = None  # a publisher bound to this batch's tables
    pollers = [
        engine_env.poller(
            executor_handler(app),
            wait_seconds=1,
            visibility_timeout=3,
            timeout_ms=TIMEOUT_MS,
        )
        for _ in range(EXECUTORS)
    ]
    driver = Driver(app, size, publish=publish, seed=seed)
    driver.start()
    queue = app.backends().queue
    for n in range(0, size, 3):  # SQS at-least-once: a third of the start messages twice
        run = app.runs.for_event(f"start-{seed}-{n}")
        for view in run:
            queue.send({"run_id": view.run_id, "kind": "start"})
    for poller in pollers:
        poller.start()
    try:
        driver.drive(timeout=300 if FULL else 150)
    finally:
        for poller in pollers:
            poller.stop()
    return driver, pollers


@pytest.mark.slow
@pytest.mark.also_on_aws
@pytest.mark.timeout(900 if FULL else 240)
def test_runs_survive_crashes_duplicates_and_racing_executors(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch, chaos_app: None
) -> None:
    killer = Killer(seed=20261125, probability=0.012)
    app.fault_hook = killer
    provider = workflow.Duplicator(engine_env.backends, share=0.2, seed=7)
    monkeypatch.setattr(app, "backends_provider", provider)
    total = RUNS[engine_env.kind]
    pollers: list[QueuePoller] = []
    drivers: list[Driver] = []
    outcomes = []
    for seed, start in enumerate(range(0, total, BATCH if engine_env.kind == "aws" else total)):
        if start:
            engine_env.fresh()
        size = min(BATCH if engine_env.kind == "aws" else total, total - start)
        driver, batch_pollers = run_batch(engine_env, size, seed)
        pollers += batch_pollers
        drivers.append(driver)

        def history(n: int) -> list[dict[str, Any]]:
            return ConnectionStore().history(f"chaos:{n}", after_seq=0)

        def lost(run_id: str, step_hash: str, executions: list[dict[str, Any]]) -> int:
            return killer.lost[(run_id, step_hash)]

        outcomes.append(check(app, driver, workflow.read_journal(), lost, history))
        workflow.journal.clear()
        print(
            f"[fault test {engine_env.kind}] {start + size}/{total} runs checked, "
            f"kills {sum(killer.kills.values())}, "
            f"timed out {sum(p.timeouts for p in pollers)}",
            flush=True,
        )
    app.fault_hook = None

    assert sum(d.runs for d in drivers) == total
    if total >= 150:  # enough runs that every point is hit (the small moto run: some)
        assert all(killer.kills[p] > 0 for p in Killer.POINTS), killer.kills
    assert sum(killer.kills.values()) > 0
    # every executor crash was a kill (the sender's crashes in ingestion are the rest)
    assert sum(p.crashes for p in pollers) == sum(killer.kills.values()) - sum(
        d.crashes_in_ingestion for d in drivers
    )
    assert killer.refused > 0  # duplicates met a run another executor held or had finished
    duplicated = provider.duplicated
    assert duplicated > 0
    reruns = sum(o.body_reruns for o in outcomes)
    print(
        f"\nfault test ({engine_env.kind}): {total} runs, kills {dict(killer.kills)}, "
        f"body executions {sum(o.body_runs for o in outcomes)} (re-run {reruns}, allowed by "
        f"{sum(killer.lost.values())} kills and {sum(o.overruns for o in outcomes)} lapsed "
        f"leases or failed checkpoints), claims refused {killer.refused}, "
        f"messages duplicated {duplicated}, "
        f"extra resumes {sum(d.extra_resumes for d in drivers)}, "
        f"invocations {sum(p.invocations for p in pollers)} "
        f"(timed out {sum(p.timeouts for p in pollers)})"
    )
