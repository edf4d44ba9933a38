"""The StateStore contract for the cost ledger, on both stores: ``add_cost`` adds to the run's
counters (never creating a run that is not there), hands back the whole ledger when asked,
and the ledger reads back with the run, alone or listed. DynamoDB's write also counts itself
(one request and its write units); the memory store makes no request to count."""

from __future__ import annotations

import pytest

from stepstream.store import RunRecord, StateStore


def _run(state: StateStore, run_id: str = "r1") -> None:
    assert state.create_run(RunRecord(run_id=run_id, function_id="fn", event={"name": "e"}))


def test_counts_add_up_and_read_back_with_the_run(state: StateStore, kind: str) -> None:
    _run(state)
    state.add_cost("r1", {"sqs_requests": 2, "lambda_gb_seconds": 0.125})
    total = state.add_cost("r1", {"sqs_requests": 3, "s3_bytes_in": 10}, total=True)

    run = state.get_run("r1")
    assert run is not None
    assert run.cost["sqs_requests"] == 5
    assert run.cost["lambda_gb_seconds"] == pytest.approx(0.125)
    assert run.cost["s3_bytes_in"] == 10
    assert total == run.cost
    if kind == "dynamodb":  # the two ledger writes, each one request of one write unit
        assert run.cost["dynamodb_requests"] == 2
        assert run.cost["dynamodb_write_units"] == 2
    else:
        assert "dynamodb_requests" not in run.cost
    [listed] = state.recent_runs(10, "fn")
    assert listed.cost == run.cost


def test_a_missing_run_gets_no_ledger_and_no_item(state: StateStore) -> None:
    assert state.add_cost("nope", {"sqs_requests": 1}, total=True) is None
    assert state.get_run("nope") is None


def test_without_total_nothing_is_returned_and_a_new_run_has_an_empty_ledger(
    state: StateStore,
) -> None:
    _run(state)
    run = state.get_run("r1")
    assert run is not None
    assert run.cost == {}
    assert state.add_cost("r1", {"websocket_units": 1}) is None
