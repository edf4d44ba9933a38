"""GIVEN `stepstream dev --state-dir PATH` with a run waiting for an event, a run sleeping and a
finished run
WHEN the developer stops it (Ctrl-C) and starts it again on the same folder
THEN nothing is lost: the runs API lists the old runs, the sleeping run wakes and finishes (its
timer came due while the stack was down), the waiting run completes when its event is sent after
the restart, and an event id seen before the restart is still a duplicate (the 24 h window)."""

from __future__ import annotations

from pathlib import Path

import httpx

from stepstream.config import DEV_EVENT_KEY

from .restart_support import AUTH, run_in_state, run_of, send, start, write_app


def test_a_restart_on_the_same_state_dir_keeps_runs_waits_sleeps_and_dedupe(
    tmp_path: Path,
) -> None:
    write_app(tmp_path)
    state = tmp_path / "state"
    stack = start(tmp_path, "--state-dir", str(state))
    try:
        assert f"state kept in {state}" in stack.output
        waiting = send(stack, "test/approve", {"id": "order-7"})
        finished = send(stack, "test/nap", {"sleep": "1s"})
        run_in_state(stack, waiting, "waiting")
        run_in_state(stack, finished, "completed")
        sleeping = send(stack, "test/nap", {"sleep": "5s"})
        run_in_state(stack, sleeping, "sleeping")
        deduped = httpx.post(
            f"{stack.url}/e/{DEV_EVENT_KEY}",
            json={"name": "test/approve", "id": "once-only", "data": {"id": "order-8"}},
        )
        assert deduped.status_code == 200
        assert stack.interrupt() == 0, stack.output
    finally:
        stack.kill()

    stack = start(tmp_path, "--state-dir", str(state))
    try:
        assert f"state restored from {state}" in stack.output
        listed = httpx.get(f"{stack.url}/v1/runs", headers=AUTH).json()["data"]
        for event in (waiting, finished, sleeping):
            run = run_of(stack, event)
            assert run is not None, event
            assert run["run_id"] in {r["run_id"] for r in listed}, event

        woke = run_in_state(stack, sleeping, "completed", "failed")
        assert woke["output"] == {"first": "v1", "second": "v1"}, woke

        send(stack, "test/approved", {"id": "order-7", "by": "ada"})
        approved = run_in_state(stack, waiting, "completed", "failed")
        assert approved["output"] == {"approved_by": "ada"}, approved

        again = httpx.post(
            f"{stack.url}/e/{DEV_EVENT_KEY}",
            json={"name": "test/approve", "id": "once-only", "data": {"id": "order-8"}},
        )
        assert again.status_code == 200
        runs = httpx.get(f"{stack.url}/v1/events/once-only/runs", headers=AUTH).json()["data"]
        assert len(runs) == 1, runs
    finally:
        stack.kill()
