"""The FlowStore contract, on both stores: concurrency counters admit up to their limit, all or
none across two counters, let a holder take its slot again, release, reap only an unchanged
expired lease; waiter queues keep sort order; a parked run is queued with its reason."""

from __future__ import annotations

from stepstream.store import SlotLimit, StateStore

from .test_state_runs_contract import LEASE_MS, running

A = SlotLimit("CONC#fn#f#a", 2)
B = SlotLimit("CONC#fn#f#b", 1)


def test_a_counter_admits_up_to_its_limit(state: StateStore, now: int) -> None:
    assert state.acquire_slots("r1", [A], now + 1) is None
    assert state.acquire_slots("r2", [A], now + 2) is None
    assert state.acquire_slots("r3", [A], now + 3) == A.key
    assert state.slot_holders(A.key) == {"r1": now + 1, "r2": now + 2}


def test_a_holder_takes_its_slot_again_with_a_new_lease(state: StateStore, now: int) -> None:
    state.acquire_slots("r1", [A], now + 1)
    state.acquire_slots("r2", [A], now + 2)
    assert state.acquire_slots("r1", [A], now + 9) is None
    assert state.slot_holders(A.key) == {"r1": now + 9, "r2": now + 2}


def test_two_counters_are_taken_all_or_none(state: StateStore, now: int) -> None:
    assert state.acquire_slots("r1", [A, B], now) is None
    assert state.acquire_slots("r2", [A, B], now) == B.key
    assert state.slot_holders(A.key) == {"r1": now}, "the first counter was not taken either"
    state.release_slots("r1", [A.key, B.key])
    assert state.slot_holders(A.key) == {}
    assert state.slot_holders(B.key) == {}
    assert state.acquire_slots("r2", [A, B], now) is None


def test_release_is_idempotent(state: StateStore, now: int) -> None:
    state.acquire_slots("r1", [A], now)
    state.release_slots("r1", [A.key])
    state.release_slots("r1", [A.key])
    state.release_slots("never", [B.key])
    assert state.slot_holders(A.key) == {}


def test_reap_drops_only_an_unchanged_lease(state: StateStore, now: int) -> None:
    state.acquire_slots("r1", [A], now + 5)
    assert not state.reap_slot(A.key, "r1", now + 4)
    assert state.reap_slot(A.key, "r1", now + 5)
    assert not state.reap_slot(A.key, "r1", now + 5)
    assert state.slot_holders(A.key) == {}


def test_a_slot_is_handed_only_under_the_holders_lease(state: StateStore, now: int) -> None:
    state.acquire_slots("r1", [B], now + 5)
    assert not state.hand_slot(B.key, "r1", now + 4, "r2", now + 60)
    assert state.slot_holders(B.key) == {"r1": now + 5}
    assert state.hand_slot(B.key, "r1", now + 5, "r2", now + 60)
    assert state.slot_holders(B.key) == {"r2": now + 60}
    assert state.acquire_slots("r3", [B], now) == B.key, "the handed slot is not free"
    assert state.acquire_slots("r2", [B], now + 7) is None, "the woken run takes it"
    assert state.slot_holders(B.key) == {"r2": now + 7}


def test_a_hand_over_never_overwrites_a_lease(state: StateStore, now: int) -> None:
    state.acquire_slots("r1", [A], now + 5)
    state.acquire_slots("r2", [A], now + 6)
    assert not state.hand_slot(A.key, "r1", now + 5, "r2", now + 60)
    assert state.slot_holders(A.key) == {"r1": now + 5, "r2": now + 6}


def test_a_reservation_needs_room_and_no_slot_held(state: StateStore, now: int) -> None:
    assert state.reserve_slot(B, "r1", now + 60)
    assert not state.reserve_slot(B, "r1", now + 70), "r1's reservation is not renewed"
    assert not state.reserve_slot(B, "r2", now + 60), "full"
    assert state.slot_holders(B.key) == {"r1": now + 60}


def test_waiters_come_back_in_sort_order(state: StateStore) -> None:
    state.put_waiter(A.key, "0500#0002#r2", "r2")
    state.put_waiter(A.key, "0500#0001#r1", "r1")
    state.put_waiter(A.key, "0400#0003#r3", "r3")
    state.put_waiter(B.key, "0000#r9", "r9")
    assert state.first_waiters(A.key, 2) == [("0400#0003#r3", "r3"), ("0500#0001#r1", "r1")]
    state.delete_waiter(A.key, "0400#0003#r3")
    state.delete_waiter(A.key, "0400#0003#r3")
    assert [run for _, run in state.first_waiters(A.key, 5)] == ["r1", "r2"]


def test_a_parked_run_is_queued_with_its_reason(state: StateStore, now: int) -> None:
    running(state, now)
    reason = {"reason": "concurrency", "key": "a"}
    assert not state.park_run("r1", "someone else", reason)
    assert state.park_run("r1", "me", reason)
    run = state.get_run("r1")
    assert run is not None
    assert (run.status, run.flow, run.lease_owner) == ("queued", reason, None)
    assert not state.park_run("r1", "me", reason), "no longer running"
    assert state.claim_run("r1", "other", now + LEASE_MS, now) is not None


def test_claims_compare_and_set(state: StateStore, now: int) -> None:
    assert state.get_claim("THR#x") is None
    assert not state.replace_claim("THR#x", "5", "6", now)
    assert state.replace_claim("THR#x", None, "5", now)
    assert not state.replace_claim("THR#x", None, "7", now)
    assert state.replace_claim("THR#x", "5", "6", now + 1)
    assert state.get_claim("THR#x") == ("6", now + 1)
    assert state.claim_key("IDEM#y", "run-1", now + 10, now)
    assert state.get_claim("IDEM#y") == ("run-1", now + 10), "the same items as claim_key's"


def test_a_run_created_with_a_reason_keeps_it(state: StateStore) -> None:
    from .test_state_runs_contract import new_run

    assert state.create_run(new_run("r7", flow={"reason": "throttled", "until": 5}))
    run = state.get_run("r7")
    assert run is not None
    assert run.flow == {"reason": "throttled", "until": 5}


def test_a_batch_gathers_up_to_its_size_then_seals(state: StateStore, now: int) -> None:
    first = state.gather_event("BATCH#k", "e1", now, "g1", max_size=2)
    assert first is not None
    assert (first.gather_id, first.event_ids, first.first_at, first.seq) == ("g1", ["e1"], now, 1)
    second = state.gather_event("BATCH#k", "e2", now + 5, "g2", max_size=2)
    assert second is not None
    assert (second.gather_id, second.event_ids, second.last_at) == ("g1", ["e1", "e2"], now + 5)
    assert state.gather_event("BATCH#k", "e3", now + 6, "g3", max_size=2) is None, "full"
    assert state.seal_gather("BATCH#k", "other") is None
    sealed = state.seal_gather("BATCH#k", "g1")
    assert sealed is not None
    assert sealed.sealed
    state.close_gather("BATCH#k", "other")
    assert state.get_gather("BATCH#k") is not None
    state.close_gather("BATCH#k", "g1")
    assert state.get_gather("BATCH#k") is None
    third = state.gather_event("BATCH#k", "e3", now + 7, "g3", max_size=2)
    assert third is not None
    assert (third.gather_id, third.event_ids) == ("g3", ["e3"])


def test_a_debounce_keeps_the_last_event_and_seals_only_unchanged(
    state: StateStore, now: int
) -> None:
    state.gather_event("DEB#k", "e1", now, "g1", keep_all=False)
    last = state.gather_event("DEB#k", "e2", now + 3, "g2", keep_all=False)
    assert last is not None
    assert (last.gather_id, last.event_ids, last.first_at, last.seq) == ("g1", ["e2"], now, 2)
    assert state.seal_gather("DEB#k", "g1", seq=1) is None, "an event came after"
    assert state.seal_gather("DEB#k", "g1", seq=2) is not None
    assert state.gather_event("DEB#k", "e3", now + 4, "g3", keep_all=False) is None, "sealed"


def test_a_gather_closes_only_if_unchanged(state: StateStore, now: int) -> None:
    state.gather_event("DEB#k", "e1", now, "g1", keep_all=False)
    state.gather_event("DEB#k", "e2", now, "g1", keep_all=False)
    assert not state.close_gather("DEB#k", "g1", seq=1), "an event came after"
    assert not state.close_gather("DEB#k", "g0")
    assert state.close_gather("DEB#k", "g1", seq=2)
    assert state.get_gather("DEB#k") is None
