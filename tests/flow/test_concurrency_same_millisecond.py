"""GIVEN two runs of a concurrency-limited function created in the same millisecond (one request
sending two events), whose run ids, hashed from their events, happen to sort the other way
WHEN they wait in line THEN the line keeps the order their events were received in (their ULIDs),
FIFO as the docs promise. (Before, ties went by run id: the CI saw the second run start first.)"""

from __future__ import annotations

from stepstream.engine._flow._concurrency import waiter_sort
from stepstream.engine._ids import ulid, ulid_from
from stepstream.store import RunRecord

from ._one_slot import OneSlot

slot = OneSlot("same-ms")


def test_runs_created_in_one_millisecond_wait_in_the_order_of_their_events() -> None:
    fn = slot.app.get_function("one-slot")
    assert fn is not None
    created = 1_795_000_000_000
    first_event, second_event = ulid(), ulid()
    assert first_event < second_event  # one process: monotonic
    runs = []
    for n, event_id in enumerate((first_event, second_event)):
        run_id = ulid_from(created, f"{event_id}\0{fn.id}")
        event = {"id": event_id, "name": slot.trigger, "data": {"n": n}}
        runs.append(RunRecord(run_id, fn.id, event, event_id=event_id, created_at=created))
    if runs[0].run_id < runs[1].run_id:  # make the run ids disagree with the events' order
        runs[0].run_id, runs[1].run_id = runs[1].run_id, runs[0].run_id
    sorts = [waiter_sort(fn, run) for run in runs]
    assert sorts[0] < sorts[1]
