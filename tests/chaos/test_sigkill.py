"""Chaos that kills processes: the fault-test workflow (a body, a sleep, a wait for an event, an
invoked child run, a durable realtime publish, another body) run by executor processes that are
SIGKILLed at random moments, over HTTP with real boto3 against moto (DynamoDB, SQS, S3).

GIVEN four executor processes (three in ``make test``), each running two invocations at once
off the SQS queue (3 s visibility timeout: a killed invocation's message comes back), whose
queues send a tenth of their messages twice; duplicate start messages, answers sent twice and
extra ``resume`` messages; and a chaos monkey that SIGKILLs a random polling executor every 1-3 s
and starts a fresh one, up to a number of kills
WHEN the runs execute
THEN every run and child run completes with one stored, final result per step, the function saw
exactly the stored results and its wait's answer, no run is left leased, each durable message is
kept exactly once, and every body execution beyond the first was in a process that was killed
(or whose lease lapsed).

``make test`` runs 12 runs and 4 kills; ``CHAOS_FULL=1`` (``make chaos``) runs 500 runs in batches
of 50 on fresh tables, 12 kills per batch."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from stepstream.store import ConnectionStore
from tests.support.aws import MotoEndpoint, use_local_aws

from .fleet import Fleet
from .scenario import Driver, check
from .workflow import app, read_journal

FULL = os.environ.get("CHAOS_FULL") == "1"
RUNS = 500 if FULL else 12
BATCH = 50
"""Fresh tables per batch: moto copies a whole table for every TransactWriteItems."""
PROCESSES = 4 if FULL else 3
KILLS = 12 if FULL else 4
"""Per batch; then the monkey stops and the delayed runs finish (a loaded 2-core machine starts
a process in seconds, so killing on and on would starve the runs)."""
TIMEOUT_MS = 2000


def run_batch(
    moto_endpoint: MotoEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    size: int,
    seed: int,
) -> dict[str, Any]:
    use_local_aws(monkeypatch, moto_endpoint.aws, letter="k")
    journal = tmp_path / f"journal-{seed}.jsonl"
    logs = tmp_path / f"logs-{seed}"
    logs.mkdir()
    environment = {
        **os.environ,
        "CHAOS_JOURNAL": str(journal),
        "CHAOS_TIMEOUT_MS": str(TIMEOUT_MS),
        "CHAOS_VISIBILITY_SECONDS": "3",
        "CHAOS_CONCURRENCY": "2",
        "CHAOS_DUPLICATE": "0.1",
        "CHAOS_BODY_SECONDS": "0.05",
        "STEPSTREAM_HANDOVER_MS": "200",
        "STEPSTREAM_RETRY_BASE_SECONDS": "0",
    }
    fleet = Fleet(PROCESSES, environment, seed=seed, logs=logs, max_kills=KILLS)
    driver = Driver(app, size, publish=True, seed=seed)
    driver.start()
    queue = app.backends().queue
    for n in range(0, size, 3):  # SQS at-least-once: a third of the start messages twice
        for view in app.runs.for_event(f"start-{seed}-{n}"):
            queue.send({"run_id": view.run_id, "kind": "start"})
    fleet.start()
    try:
        driver.drive(timeout=300 if FULL else 180)
    except AssertionError:
        keep = Path(os.environ.get("CHAOS_KEEP", tmp_path / "kept"))
        keep.mkdir(parents=True, exist_ok=True)
        (keep / journal.name).write_bytes(journal.read_bytes())
        print(f"journal kept in {keep / journal.name}")
        tails = [p.read_text()[-2000:] for p in sorted(logs.glob("*.log"))]
        print("\n".join(t for t in tails if t.strip())[-6000:])
        raise
    finally:
        fleet.stop()
    lines = read_journal(str(journal))
    killed = fleet.killed

    def lost(run_id: str, step_hash: str, executions: list[dict[str, Any]]) -> int:
        return sum(e["pid"] in killed for e in executions)

    def history(n: int) -> list[dict[str, Any]]:
        return ConnectionStore().history(f"chaos:{n}", after_seq=0)

    outcome = check(app, driver, lines, lost, history)
    ended = {line["token"] for line in lines if line["kind"] == "end"}
    mid_body = sum(
        line["kind"] == "start" and line["token"] not in ended and line["pid"] in killed
        for line in lines
    )
    return {
        "kills": len(killed),
        "mid_body": mid_body,
        "reruns": outcome.body_reruns,
        "bodies": outcome.body_runs,
        "overruns": outcome.overruns,
        "processes": fleet.started,
        "resumes": driver.extra_resumes,
    }


@pytest.mark.slow
@pytest.mark.timeout(1800 if FULL else 240)
def test_runs_survive_sigkilled_executor_processes(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHAOS_JOURNAL", raising=False)
    totals: dict[str, int] = {}
    for seed, start in enumerate(range(0, RUNS, BATCH)):
        numbers = run_batch(moto_endpoint, monkeypatch, tmp_path, min(BATCH, RUNS - start), seed)
        print(f"\nbatch {seed}: {numbers}", flush=True)
        for key, value in numbers.items():
            totals[key] = totals.get(key, 0) + value
    print(f"\nSIGKILL chaos: {RUNS} runs, {totals}")
    assert totals["kills"] > 0
