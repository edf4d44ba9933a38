"""GIVEN the embedded moto (the local stack's and the tests' DynamoDB) WHEN many executors claim
one run at the same instant THEN exactly one wins, as DynamoDB's conditional UpdateItem
guarantees.

A regression test: moto applied concurrent conditional writes without a lock, so two claims
could both succeed and two executors ran the same step body at once (found by tests/chaos with
SIGKILLed executor processes). ``stepstream.local`` now serializes moto's DynamoDB requests."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from stepstream.config import Settings
from stepstream.local import Provisioned
from stepstream.store import DynamoState, RunRecord, S3Blobs

CLAIMANTS = 12
ROUNDS = 40


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Switch threads every microsecond instead of every 5 ms: moto's request threads then
    interleave inside one request as they do under load, when the race shows."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_concurrent_claims_of_one_run_have_one_winner(
    aws: Provisioned, eager_thread_switches: None
) -> None:
    settings = Settings.from_env()
    state = DynamoState(S3Blobs(settings), settings)
    doubles = 0
    for round_ in range(ROUNDS):
        run_id = f"race-{round_}"
        assert state.create_run(
            RunRecord(run_id=run_id, function_id="f", event={"name": "e"}, status="queued")
        )
        barrier = threading.Barrier(CLAIMANTS)
        winners: list[str] = []

        def claim(
            owner: str,
            run_id: str = run_id,
            barrier: threading.Barrier = barrier,
            winners: list[str] = winners,
        ) -> None:
            barrier.wait()
            if state.claim_run(run_id, owner, lease_until=2**40, now=1) is not None:
                winners.append(owner)

        threads = [threading.Thread(target=claim, args=(f"o{i}",)) for i in range(CLAIMANTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert winners, f"round {round_}: nobody claimed the run"
        doubles += len(winners) > 1
    assert doubles == 0, f"{doubles} of {ROUNDS} rounds had more than one winner"
