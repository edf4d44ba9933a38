"""GIVEN a function with concurrency 1 whose slot is held, and runs parked in line for it
WHEN the first run in line is cancelled and the holder then finishes, or a run in line waits
while the holder's invocation stores its outcome
THEN the hand-over (which wakes the first in line before reading its record) takes the slot
back from the cancelled run and passes it on, so the next run completes and no slot is left;
and a finishing invocation has given its slot to the next run before it writes its own status."""

from __future__ import annotations

import time
from typing import Any

import pytest

from stepstream.engine._flow._concurrency import release
from stepstream.store import RunRecord, SlotLimit

from ..engine.harness import EngineEnv, Harness
from ._one_slot import OneSlot

slot = OneSlot("handover")
app = slot.app
_key = slot.key
_park = slot.park


@pytest.mark.also_on_aws
def test_a_run_cancelled_in_line_gives_the_handed_slot_to_the_next(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    fn = app.get_function("one-slot")
    assert fn is not None
    key = _key()
    state = app.backends().state
    far = int(time.time() * 1000) + 600_000
    assert state.acquire_slots("holder", [SlotLimit(key, 1)], far) is None
    first = _park(harness, 1)
    second = _park(harness, 2)
    cancelled = app.runs.cancel(first)
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    # the cancelled run is still first in line when the holder hands its slot over
    assert [run for _, run in state.first_waiters(key, 5)][:1] == [first]

    release(app.backends(), fn, RunRecord("holder", fn.id, {"name": "flow/handover"}), far)

    assert first not in state.slot_holders(key)
    assert harness.finish(second, timeout=10).status == "completed"
    assert state.slot_holders(key) == {}
    assert state.first_waiters(key, 5) == []


@pytest.mark.also_on_aws
def test_the_slot_is_handed_on_before_the_finisher_stores_its_status(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness(app, engine_env)
    fn = app.get_function("one-slot")
    assert fn is not None
    key = _key()
    state = app.backends().state
    far = int(time.time() * 1000) + 600_000
    assert state.acquire_slots("holder", [SlotLimit(key, 1)], far) is None
    first = _park(harness, 1)
    second = _park(harness, 2)
    # holders of the slot at each status write of ``first``
    seen: list[dict[str, int]] = []
    store = type(state)
    store_release = store.release

    def release_watched(self: Any, run_id: str, *args: Any, **kwargs: Any) -> bool:
        if run_id == first:
            seen.append(self.slot_holders(key))
        return bool(store_release(self, run_id, *args, **kwargs))

    monkeypatch.setattr(store, "release", release_watched)
    release(app.backends(), fn, RunRecord("holder", fn.id, {"name": "flow/handover"}), far)
    assert harness.finish(first, timeout=10).status == "completed"
    # ``first`` completed with its one invocation: its slot was ``second``'s by then
    assert len(seen) == 1
    assert first not in seen[0]
    assert second in seen[0]
    assert harness.finish(second, timeout=10).status == "completed"
    assert state.slot_holders(key) == {}
    assert state.first_waiters(key, 5) == []
