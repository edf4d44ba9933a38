"""The StateStore contract for runs and steps, on both stores: conditional create and claim,
leases, the checkpoint transaction and its rejection reasons, resolve and release conditions,
offloaded outputs, listings, and records that are copies."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream.store import (
    BlobStore,
    CheckpointRejected,
    RunRecord,
    StateStore,
    StepRecord,
    WaitRecord,
)
from stepstream.store._dynamo import INLINE_JSON_BYTES

from .conftest import blob_texts

LEASE_MS = 60_000


def new_run(run_id: str = "r1", **fields: Any) -> RunRecord:
    values: dict[str, Any] = {
        "function_id": "fn",
        "event": {"name": "e", "data": {"n": 1}},
        "event_id": "ev1",
        "created_at": 1_000,
    }
    values.update(fields)
    return RunRecord(run_id=run_id, **values)


def running(state: StateStore, now: int, run_id: str = "r1", owner: str = "me") -> RunRecord:
    """GIVEN a run claimed by ``owner``."""
    assert state.create_run(new_run(run_id))
    claimed = state.claim_run(run_id, owner, now + LEASE_MS, now)
    assert claimed is not None
    return claimed


def step(hash_: str = "h1", status: str = "ok", **fields: Any) -> StepRecord:
    values: dict[str, Any] = {"output_json": '"out"', "attempt": 0, "started_at": 5}
    values.update(fields)
    return StepRecord(hash_, f"id-{hash_}", "run", status, **values)


def wait(run_id: str = "r1", step_hash: str = "h1") -> WaitRecord:
    return WaitRecord("ev/go", run_id, step_hash, "w", "event.data.k == 1", {"k": 1}, 99.5, 7)


# --- create, get ------------------------------------------------------------------------------
def test_create_run_is_put_if_absent_and_keeps_what_it_writes(state: StateStore) -> None:
    run = new_run(parent_run_id="p", parent_step_hash="ph", started_at=9, lease_owner="x")
    assert state.create_run(run) is True
    assert state.create_run(new_run(function_id="other")) is False

    stored = state.get_run("r1")
    assert stored is not None
    assert (stored.function_id, stored.status, stored.event, stored.event_id) == (
        "fn",
        "queued",
        {"name": "e", "data": {"n": 1}},
        "ev1",
    )
    assert (stored.parent_run_id, stored.parent_step_hash, stored.parent_step_id) == ("p", "ph", "")
    # the lease and times are set by claims and releases, never by the create
    assert (stored.started_at, stored.lease_owner, stored.lease_until) == (None, None, None)
    assert state.get_run("missing") is None


def test_returned_records_are_copies(state: StateStore, now: int) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(detail={"a": [1]}, error={"m": "x"}))
    run = state.get_run("r1")
    assert run is not None
    run.event["data"]["n"] = 2
    run.channels.append("c")
    run.status = "completed"
    [got] = state.load_steps("r1")
    assert got.detail == {"a": [1]}
    got.detail["a"].append(2)
    assert got.error is not None
    got.error["m"] = "y"

    again = state.get_run("r1")
    assert again is not None
    assert (again.event["data"], again.channels, again.status) == ({"n": 1}, [], "running")
    [stored] = state.load_steps("r1")
    assert (stored.detail, stored.error) == ({"a": [1]}, {"m": "x"})


# --- claim, release, cancel -----------------------------------------------------------------------
def test_claim_takes_a_free_lease_and_refuses_a_held_one(state: StateStore, now: int) -> None:
    state.create_run(new_run())
    claimed = state.claim_run("r1", "me", now + LEASE_MS, now)
    assert claimed is not None
    assert (claimed.status, claimed.lease_owner, claimed.lease_until, claimed.started_at) == (
        "running",
        "me",
        now + LEASE_MS,
        now,
    )
    assert claimed.event == {"name": "e", "data": {"n": 1}}
    assert state.claim_run("r1", "other", now + 2 * LEASE_MS, now + 1) is None
    # the holder may claim again (its lease is extended); started_at stays the first claim's
    again = state.claim_run("r1", "me", now + 2 * LEASE_MS, now + 10)
    assert again is not None
    assert (again.lease_until, again.started_at) == (now + 2 * LEASE_MS, now)
    assert state.claim_run("missing", "me", now + LEASE_MS, now) is None


def test_an_expired_lease_is_taken_over(state: StateStore, now: int) -> None:
    running(state, now)
    later = now + LEASE_MS + 1
    taken = state.claim_run("r1", "other", later + LEASE_MS, later)
    assert taken is not None
    assert (taken.lease_owner, taken.started_at) == ("other", now)
    # exactly at lease_until the lease still holds (lease_until < now frees it)
    state.create_run(new_run("r2"))
    assert state.claim_run("r2", "a", now + 10, now) is not None
    assert state.claim_run("r2", "b", now + 20, now + 10) is None


def test_release_needs_the_lease_and_a_running_run(state: StateStore, now: int) -> None:
    running(state, now)
    assert state.release("r1", "other", "completed", now=now) is False
    assert state.release("r1", "me", "sleeping", attempt=2, now=now + 5) is True
    slept = state.get_run("r1")
    assert slept is not None
    assert (slept.status, slept.attempt, slept.ended_at) == ("sleeping", 2, None)
    assert (slept.lease_owner, slept.lease_until) == (None, None)
    # no lease now: nobody can release
    assert state.release("r1", "me", "completed", now=now) is False
    # a sleeping run is not running: a stale lease holder cannot release it either
    assert state.claim_run("r1", "me", now + LEASE_MS, now) is not None
    assert state.cancel_run("r1", now + 1) is True
    assert state.release("r1", "me", "completed", now=now) is False
    assert state.release("missing", "me", "completed", now=now) is False


def test_release_to_a_terminal_status_stores_the_outcome(state: StateStore, now: int) -> None:
    running(state, now)
    assert state.release(
        "r1",
        "me",
        "failed",
        output_json='{"x": 1}',
        output_type="dict",
        error={"name": "E", "message": "m"},
        now=now + 7,
        channels=["b", "a"],
    )
    run = state.get_run("r1")
    assert run is not None
    assert (run.status, run.ended_at, run.output_json, run.output_type) == (
        "failed",
        now + 7,
        '{"x": 1}',
        "dict",
    )
    assert (run.error, run.channels) == ({"name": "E", "message": "m"}, ["a", "b"])


def test_a_large_run_output_goes_through_the_blob_store(
    state: StateStore, blobs: BlobStore, now: int
) -> None:
    running(state, now)
    big = '"' + "x" * (INLINE_JSON_BYTES + 10) + '"'
    assert state.release("r1", "me", "completed", output_json=big, now=now)
    run = state.get_run("r1")
    assert run is not None
    assert run.output_json == big
    assert blob_texts(blobs, "runs/r1/output") == [big]


def test_cancel_run_only_from_an_active_status(state: StateStore, now: int) -> None:
    state.create_run(new_run())
    assert state.cancel_run("r1", now) is True
    run = state.get_run("r1")
    assert run is not None
    assert (run.status, run.ended_at) == ("cancelled", now)
    assert state.cancel_run("r1", now + 1) is False
    assert state.claim_run("r1", "me", now + LEASE_MS, now) is None
    running(state, now, "r2")
    assert state.release("r2", "me", "completed", now=now)
    assert state.cancel_run("r2", now) is False
    assert state.cancel_run("missing", now) is False


def test_cancel_run_keeps_the_reason_given(state: StateStore, now: int) -> None:
    state.create_run(new_run())
    assert state.cancel_run("r1", now, {"reason": "start_timeout", "since": now}) is True
    run = state.get_run("r1")
    assert run is not None
    assert (run.status, run.flow) == ("cancelled", {"reason": "start_timeout", "since": now})


# --- checkpoint -----------------------------------------------------------------------------------
def test_checkpoint_puts_a_new_step_and_its_wait(state: StateStore, now: int) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(status="waiting", output_json=None), wait=wait())
    [stored] = state.load_steps("r1")
    assert (stored.hash, stored.status, stored.output_json) == ("h1", "waiting", None)
    [stored_wait] = state.waits_for("ev/go")
    assert stored_wait == wait()


def test_checkpoint_of_an_existing_step_is_rejected_with_it(state: StateStore, now: int) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(output_json='"first"'))
    with pytest.raises(CheckpointRejected) as caught:
        state.checkpoint("r1", "me", step(output_json='"second"'), wait=wait())
    assert caught.value.reason == "step_exists"
    assert caught.value.existing is not None
    assert caught.value.existing.output_json == '"first"'
    assert state.waits_for("ev/go") == []  # nothing of a rejected transaction is written
    [stored] = state.load_steps("r1")
    assert stored.output_json == '"first"'


def test_checkpoint_replaces_only_the_named_statuses(state: StateStore, now: int) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(status="retry", output_json=None, attempt=1))
    state.checkpoint("r1", "me", step(output_json='"done"', attempt=2), replace=("retry",))
    [stored] = state.load_steps("r1")
    assert (stored.status, stored.attempt) == ("ok", 2)
    with pytest.raises(CheckpointRejected) as caught:
        state.checkpoint("r1", "me", step(output_json='"again"'), replace=("retry",))
    assert caught.value.reason == "step_exists"


def test_checkpoint_on_a_run_that_is_not_running_is_cancelled(state: StateStore, now: int) -> None:
    running(state, now)
    state.cancel_run("r1", now)
    with pytest.raises(CheckpointRejected) as caught:
        state.checkpoint("r1", "me", step(), wait=wait())
    assert (caught.value.reason, caught.value.existing) == ("cancelled", None)
    assert state.load_steps("r1") == []
    assert state.waits_for("ev/go") == []
    with pytest.raises(CheckpointRejected) as missing:
        state.checkpoint("missing", "me", step())
    assert missing.value.reason == "cancelled"


def test_checkpoint_by_a_lost_lease_is_lease_lost(state: StateStore, now: int) -> None:
    running(state, now)
    with pytest.raises(CheckpointRejected) as caught:
        state.checkpoint("r1", "other", step())
    assert caught.value.reason == "lease_lost"
    assert state.load_steps("r1") == []


@pytest.mark.parametrize("status", ["sleeping", "queued", "completed"])
def test_checkpoint_after_another_executor_let_go_is_lease_lost(
    state: StateStore, now: int, status: str
) -> None:
    # GIVEN "me"'s lease lapsed, "other" claimed the run and released it: not a cancel
    running(state, now)
    assert state.claim_run("r1", "other", now + 2 * LEASE_MS, now + LEASE_MS + 1) is not None
    assert state.release("r1", "other", status, now=now)
    with pytest.raises(CheckpointRejected) as caught:
        state.checkpoint("r1", "me", step())
    assert caught.value.reason == "lease_lost"
    assert state.load_steps("r1") == []


def test_a_stored_step_wins_over_a_lost_lease(state: StateStore, now: int) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(status="sleeping", output_json=None, wake_at=12.5))
    with pytest.raises(CheckpointRejected) as caught:
        state.checkpoint("r1", "other", step())
    assert caught.value.reason == "step_exists"
    assert caught.value.existing is not None
    assert (caught.value.existing.status, caught.value.existing.wake_at) == ("sleeping", 12.5)


# --- resolve, steps -------------------------------------------------------------------------------
def test_resolve_step_replaces_only_an_expected_pending_record(state: StateStore, now: int) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(status="waiting", output_json=None))
    assert state.resolve_step("r1", step(output_json='"a"'), expect=("sleeping",)) is False
    assert state.resolve_step("r1", step(output_json='"b"'), expect=("waiting",)) is True
    assert state.resolve_step("r1", step(output_json='"c"'), expect=("waiting",)) is False
    [stored] = state.load_steps("r1")
    assert stored.output_json == '"b"'
    # a missing step is resolved only when allowed
    assert state.resolve_step("r1", step("h2"), expect=("waiting",)) is False
    assert state.resolve_step("r1", step("h2"), expect=("waiting",), allow_missing=True) is True
    assert [s.hash for s in state.load_steps("r1")] == ["h1", "h2"]


def test_steps_round_trip_and_list_in_hash_order(state: StateStore, now: int) -> None:
    running(state, now)
    full = step(
        "b",
        output_type="dict",
        error={"name": "E"},
        attempt=3,
        started_at=11,
        ended_at=12,
        detail={"input": [1]},
    )
    state.checkpoint("r1", "me", full)
    state.checkpoint("r1", "me", step("a", status="sleeping", output_json=None, wake_at=1.25))
    run, steps = state.load_run("r1")
    assert run is not None
    assert run.run_id == "r1"
    assert [s.hash for s in steps] == ["a", "b"]
    assert steps[1] == full
    assert (steps[0].wake_at, steps[0].output_type, steps[0].detail) == (1.25, None, {})
    assert state.load_steps("r1") == steps
    assert state.load_run("missing") == (None, [])


def test_an_output_with_a_blob_key_is_read_through_the_blob_store(
    state: StateStore, blobs: BlobStore, now: int
) -> None:
    running(state, now)
    state.checkpoint("r1", "me", step(output_json='"big"', blob_key="runs/r1/h1/x"))
    [stored] = state.load_steps("r1")
    assert (stored.output_json, stored.blob_key) == (None, "runs/r1/h1/x")
    assert blobs.get("runs/r1/h1/x") == b'"big"'
    assert state.load_step_output(stored) == '"big"'
    assert state.load_step_output(step(output_json='"inline"')) == '"inline"'


# --- listings -------------------------------------------------------------------------------------
def test_recent_runs_are_newest_first_and_filtered(state: StateStore) -> None:
    state.create_run(new_run("a", created_at=1))
    state.create_run(new_run("b", created_at=3, function_id="other"))
    state.create_run(new_run("c", created_at=2))
    assert [r.run_id for r in state.recent_runs(10, None)] == ["b", "c", "a"]
    assert [r.run_id for r in state.recent_runs(2, None)] == ["b", "c"]
    assert [r.run_id for r in state.recent_runs(1, "fn")] == ["c"]
    assert [r.run_id for r in state.recent_runs(10, "fn")] == ["c", "a"]


def test_runs_for_event_lists_linked_runs(state: StateStore) -> None:
    for run_id in ("r2", "r1"):
        state.link_event_run("ev1", new_run(run_id))
    state.link_event_run("ev2", new_run("r3"))
    assert state.runs_for_event("ev1") == ["r1", "r2"]
    assert state.runs_for_event("missing") == []
