"""GIVEN `stepstream dev --state-dir PATH` with a run waiting for an event
WHEN the process is killed with SIGKILL (no chance to save) after its periodic snapshot
THEN the folder holds one complete snapshot (no temporary file left beside it), a new
`stepstream dev` on it starts, and the run completes when its event is sent after the restart."""

from __future__ import annotations

import time
from pathlib import Path

from stepstream.local._moto_state import SNAPSHOT_FILE

from .restart_support import run_in_state, send, start, until, write_app


def test_a_sigkilled_dev_stack_restarts_from_its_last_snapshot(tmp_path: Path) -> None:
    write_app(tmp_path)
    state = tmp_path / "state"
    snapshot = state / SNAPSHOT_FILE
    stack = start(tmp_path, "--state-dir", str(state))
    try:
        waiting = send(stack, "test/approve", {"id": "order-9"})
        run_in_state(stack, waiting, "waiting")
        # A write after the run was seen waiting: the snapshot that holds it holds the run too.
        written = time.time()
        send(stack, "test/unheard-of")
        until(
            "a snapshot after the last write",
            lambda: snapshot.is_file() and snapshot.stat().st_mtime > written,
            stack,
        )
    finally:
        stack.kill()  # SIGKILL
    assert sorted(p.name for p in state.iterdir() if not p.name.endswith(".lock")) == [
        SNAPSHOT_FILE
    ]

    stack = start(tmp_path, "--state-dir", str(state))
    try:
        send(stack, "test/approved", {"id": "order-9", "by": "grace"})
        approved = run_in_state(stack, waiting, "completed", "failed")
        assert approved["output"] == {"approved_by": "grace"}, approved
    finally:
        stack.kill()
