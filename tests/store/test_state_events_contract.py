"""The StateStore contract for events, waits, cancels and claims, on both stores: the event
claim and its takeover, the ``events_between`` window, newest-first listings, offloaded bodies,
and ``claim_key``'s "not exists OR expired, or same value"."""

from __future__ import annotations

from typing import Any

from stepstream.store import BlobStore, CancelRecord, StateStore, WaitRecord
from stepstream.store._dynamo import INLINE_JSON_BYTES

from .conftest import blob_texts

CLAIM_MS = 30_000


def event(event_id: str = "e1", name: str = "ev/a", **data: Any) -> dict[str, Any]:
    return {"name": name, "data": data, "id": event_id, "ts": 1, "user": {}}


# --- claim_event ----------------------------------------------------------------------------------
def test_an_event_id_is_claimed_once(state: StateStore, now: int) -> None:
    expires = now + 10 * CLAIM_MS
    assert state.claim_event(event(), now, expires, CLAIM_MS) == now
    # a duplicate while the first is being processed, and after it finished, is a duplicate
    assert state.claim_event(event(), now + 1, expires, CLAIM_MS) is None
    state.finish_event("e1")
    assert state.claim_event(event(), now + CLAIM_MS + 1, expires, CLAIM_MS) is None


def test_an_unfinished_claim_is_taken_over_once_after_its_lease(
    state: StateStore, now: int
) -> None:
    assert state.claim_event(event(), now, now + 10 * CLAIM_MS, CLAIM_MS) == now
    # at the end of the lease it still holds
    assert state.claim_event(event(), now + CLAIM_MS, now + 10 * CLAIM_MS, CLAIM_MS) is None
    # after it, the takeover processes the event under its original received_at
    later = now + CLAIM_MS + 1
    assert state.claim_event(event(), later, now + 10 * CLAIM_MS, CLAIM_MS) == now
    assert state.claim_event(event(), later + 1, now + 10 * CLAIM_MS, CLAIM_MS) is None
    stored = state.get_event("e1")
    assert stored is not None
    assert stored["received_at"] == now


def test_an_expired_dedupe_claim_is_claimed_anew(state: StateStore, now: int) -> None:
    # GIVEN a finished event whose dedupe window has passed but which TTL has not deleted
    assert state.claim_event(event("old"), now - 2, now - 1, CLAIM_MS) == now - 2
    state.finish_event("old")
    # WHEN the same id arrives again THEN the conditional put takes the claim over
    assert state.claim_event(event("old", n=2), now, now + 1000, CLAIM_MS) == now
    assert state.claim_event(event("old"), now, now + 1000, CLAIM_MS) is None
    stored = state.get_event("old")
    assert stored is not None
    assert (stored["data"], stored["received_at"]) == ({"n": 2}, now)


def test_events_read_back_with_received_at_newest_first(state: StateStore, now: int) -> None:
    for i, event_id in enumerate(["a", "c", "b"]):
        state.claim_event(event(event_id, n=i), now + i, now + 1000, CLAIM_MS)
    got = state.get_event("c")
    assert got == {**event("c", n=1), "received_at": now + 1}
    assert state.get_event("missing") is None
    assert [e["id"] for e in state.recent_events(10)] == ["b", "c", "a"]
    assert [e["id"] for e in state.recent_events(2)] == ["b", "c"]
    assert state.recent_events(1)[0]["received_at"] == now + 2


def test_a_large_event_body_goes_through_the_blob_store(
    state: StateStore, blobs: BlobStore, now: int
) -> None:
    big = event(blob="x" * (INLINE_JSON_BYTES + 10))
    assert state.claim_event(big, now, now + 1000, CLAIM_MS) == now
    state.put_event_by_name(big, now)
    assert state.get_event("e1") == {**big, "received_at": now}
    assert state.events_between("ev/a", now, now) == [big]
    bodies = blob_texts(blobs, "events/e1")
    assert bodies
    assert all(body.startswith("{") for body in bodies)


# --- events by name -------------------------------------------------------------------------------
def test_events_between_is_an_inclusive_window_in_time_order(state: StateStore) -> None:
    for received_at, event_id in [(200, "late"), (100, "first"), (150, "mid"), (99, "early")]:
        state.put_event_by_name(event(event_id), received_at)
    state.put_event_by_name(event("other", name="ev/b"), 150)
    assert [e["id"] for e in state.events_between("ev/a", 100, 200)] == ["first", "mid", "late"]
    assert [e["id"] for e in state.events_between("ev/a", 101, 199)] == ["mid"]
    assert [e["id"] for e in state.events_between("ev/a", -5, 99)] == ["early"]
    assert state.events_between("ev/b", 0, 10**12)[0]["id"] == "other"
    assert state.events_between("ev/none", 0, 10**12) == []


# --- waits and cancels ----------------------------------------------------------------------------
def test_waits_are_listed_by_event_name_and_deleted(state: StateStore) -> None:
    first = WaitRecord("ev/go", "r2", "h", "w", None, {"k": [1]}, 10.5, 3)
    second = WaitRecord("ev/go", "r1", "h", "w", "event.data.k == 1", {}, 11.0, 4)
    other = WaitRecord("ev/other", "r1", "h", "w", None, {}, 1.0)
    # ``checkpoint`` is the only writer of waits; put them through it
    for record in (first, second, other):
        put_wait(state, record)
    assert state.waits_for("ev/go") == [second, first]
    state.delete_wait(second)
    state.delete_wait(second)  # deleting twice is fine
    assert state.waits_for("ev/go") == [first]
    assert state.waits_for("ev/other") == [other]


def put_wait(state: StateStore, record: WaitRecord) -> None:
    from .test_state_runs_contract import step

    if state.get_run(record.run_id) is None:
        from .test_state_runs_contract import new_run

        state.create_run(new_run(record.run_id))
        state.claim_run(record.run_id, "me", 10**13, 0)
    state.checkpoint(
        record.run_id,
        "me",
        step(f"{record.event_name}-{record.step_hash}", "waiting", output_json=None),
        wait=record,
    )


def test_cancels_are_listed_by_event_name(state: StateStore) -> None:
    records = [
        CancelRecord("ev/stop", "r1", 1, "event.data.id == async.data.id", {"id": 1}, 5.5),
        CancelRecord("ev/stop", "r1", 0, None, {}, 6.0),
        CancelRecord("ev/halt", "r2", 0, "", {}, 6.0),
    ]
    state.put_cancels(records)
    assert state.cancels_for("ev/stop") == [records[1], records[0]]
    [halt] = state.cancels_for("ev/halt")
    assert halt.expression is None  # an empty expression is none
    assert state.cancels_for("ev/none") == []


# --- claim_key ------------------------------------------------------------------------------------
def test_claim_key_is_ours_when_new_expired_or_already_ours(state: StateStore, now: int) -> None:
    assert state.claim_key("idem#k", "run-a", now + 100, now) is True
    assert state.claim_key("idem#k", "run-b", now + 100, now + 1) is False
    assert state.claim_key("idem#k", "run-a", now + 100, now + 2) is True  # a retry
    assert state.claim_key("idem#k", "run-b", now + 300, now + 100) is False  # not yet expired
    assert state.claim_key("idem#k", "run-b", now + 300, now + 101) is True  # expired
    assert state.claim_key("idem#k", "run-a", now + 400, now + 102) is False
    assert state.claim_key("idem#other", "run-a", now + 100, now) is True
