"""The store contract for operating runs: listing a function's runs by time, copying steps into
a rerun, bulk-operation records, pauses and held runs; on memory and on DynamoDB in moto."""

from __future__ import annotations

from stepstream import StepStatus
from stepstream.store import OperationRecord, RunRecord, StateStore, StepRecord


def _run(run_id: str, created_at: int, function_id: str = "fn", **extra: object) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        function_id=function_id,
        event={"name": "e"},
        created_at=created_at,
        **extra,  # type: ignore[arg-type]
    )


def test_runs_between_lists_one_function_in_a_time_range_oldest_first(state: StateStore) -> None:
    for run_id, at, fn in [("a", 10, "fn"), ("b", 20, "fn"), ("c", 30, "fn"), ("d", 20, "other")]:
        state.create_run(_run(run_id, at, fn))
    assert [r.run_id for r in state.runs_between("fn", 10, 20)] == ["a", "b"]
    assert [r.run_id for r in state.runs_between("fn", 11, 40)] == ["b", "c"]
    assert state.runs_between("fn", 31, 40) == []
    assert [r.run_id for r in state.runs_between("other", 0, 99)] == ["d"]


def test_rerun_of_is_stored_with_the_run(state: StateStore) -> None:
    state.create_run(_run("new", 1, rerun_of="old"))
    stored = state.get_run("new")
    assert stored is not None
    assert stored.rerun_of == "old"
    assert state.runs_between("fn", 0, 9)[0].rerun_of == "old"


def test_copy_steps_copies_the_named_steps_once(state: StateStore) -> None:
    big = "x" * 500_000  # offloaded: the copy keeps pointing at the blob
    for hash_, text in [("h1", '"one"'), ("h2", f'"{big}"'), ("h3", '"three"')]:
        record = StepRecord(hash_, hash_, "run", StepStatus.OK, output_json=text)
        if text.startswith('"x'):
            record.blob_key = f"runs/src/{hash_}/blob"
        assert state.resolve_step("src", record, expect=(StepStatus.OK,), allow_missing=True)
    state.copy_steps("src", "dst", ["h1", "h2"])
    state.copy_steps("src", "dst", ["h1", "h2"])  # a retried copy changes nothing
    copied = {s.hash: state.load_step_output(s) for s in state.load_steps("dst")}
    assert copied == {"h1": '"one"', "h2": f'"{big}"'}


def test_operations_round_trip(state: StateStore) -> None:
    op = OperationRecord("op1", "replay", 5, {"function_id": "fn"}, ["r1", "r2"])
    state.put_operation(op)
    assert state.get_operation("op1") == op
    assert state.get_operation("nope") is None


def test_pauses_are_set_listed_and_removed(state: StateStore) -> None:
    assert state.pauses() == {}
    state.set_pause("fn", "hold")
    state.set_pause("other/fn", "skip")
    assert state.pauses() == {"fn": "hold", "other/fn": "skip"}
    state.set_pause("fn", None)
    state.set_pause("never-paused", None)
    assert state.pauses() == {"other/fn": "skip"}


def test_held_runs_are_kept_in_order_until_released(state: StateStore) -> None:
    for run_id in ["r2", "r1", "r3"]:
        state.hold_run("fn", run_id)
    state.hold_run("other", "x")
    assert state.held_runs("fn") == ["r1", "r2", "r3"]
    state.release_held("fn", "r2")
    state.release_held("fn", "missing")
    assert state.held_runs("fn") == ["r1", "r3"]
