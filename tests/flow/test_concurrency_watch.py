"""GIVEN a function with concurrency 1 whose slot is held and runs parked in line for it
WHEN the line grows, the holder hands its slot over, or a wake-up is lost to a crash
THEN the line has one watch message whatever its length (not one fallback per parked run), a
park and a hand-over cost the same requests with 2 runs in line as with 10, the watch is due a
second after the soonest holder's lease ends (at most a minute on), and when due it reaps the
lost wake-up's reservation and wakes the first in line, then clears itself once the line is
empty."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from stepstream.engine._flow import WATCH_KIND, watch_due
from stepstream.engine._flow._concurrency import release
from stepstream.engine._flow._watch import EVERY_S
from stepstream.store import RunRecord, SlotLimit, StateStore

from ..engine.harness import EngineEnv, Harness
from ._one_slot import OneSlot

slot = OneSlot("watch")
app = slot.app
_key = slot.key
_park = slot.park


@contextmanager
def _counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Calls of the state store's operations and messages sent, by name, while inside."""
    counts: Counter[str] = Counter()
    backends = app.backends()
    store, queue = type(backends.state), type(backends.queue)

    def counting(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return method(self, *args, **kwargs)

        return call

    with monkeypatch.context() as patch:
        for name in StateStore.__abstractmethods__:
            patch.setattr(store, name, counting(name, getattr(store, name)))
        patch.setattr(queue, "send", counting("send", queue.send))
        yield counts


def _holder(key: str) -> int:
    far = int(time.time() * 1000) + 600_000
    assert app.backends().state.acquire_slots("holder", [SlotLimit(key, 1)], far) is None
    return far


@pytest.mark.also_on_aws
def test_one_watch_per_line_and_a_park_costs_the_same_at_any_length(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness(app, engine_env)
    key = _key()
    _holder(key)
    state = app.backends().state
    _park(harness, 0)
    assert engine_env.delayed_messages() == 1  # the line's watch, armed by the first to park
    armed = state.slot_counter(key).watch
    assert armed is not None
    assert EVERY_S * 1000 - 5000 <= armed - time.time() * 1000 <= EVERY_S * 1000 + 1000
    with _counted(monkeypatch) as second:
        _park(harness, 1)
    for n in range(2, 9):
        _park(harness, n)
    with _counted(monkeypatch) as tenth:
        _park(harness, 9)
    assert len(state.first_waiters(key, 20)) == 10
    assert engine_env.delayed_messages() == 1, "one watch message per line, not one per run"
    assert state.slot_counter(key).watch == armed
    assert second == tenth
    assert second["send"] == 1  # its own start message: no watch, no fallback


@pytest.mark.also_on_aws
def test_a_hand_over_costs_the_same_with_2_or_10_in_line(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness(app, engine_env)
    fn = app.get_function("one-slot")
    assert fn is not None
    key = _key()
    state = app.backends().state
    costs = []
    for length in (2, 10):
        far = _holder(key)
        line = [_park(harness, n) for n in range(length)]
        with _counted(monkeypatch) as counts:
            release(app.backends(), fn, RunRecord("holder", fn.id, {"name": "flow/watch"}), far)
        costs.append(counts)
        assert line[0] in state.slot_holders(key)
        for run_id in line:
            assert harness.finish(run_id, timeout=20).status == "completed"
        assert state.slot_holders(key) == {}
        assert state.first_waiters(key, 20) == []
    assert costs[0] == costs[1]
    assert costs[0]["send"] == 1  # the wake-up, and nothing per run in line
    assert costs[0]["first_waiters"] == 1


@pytest.mark.also_on_aws
def test_the_watch_wakes_the_line_after_a_lost_wake_up(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    key = _key()
    state = app.backends().state
    far = _holder(key)
    first, second = _park(harness, 1), _park(harness, 2)
    due = state.slot_counter(key).watch
    assert due is not None
    # the finisher handed its slot to ``first`` and died before the wake-up went out; the
    # reservation has ended since
    gone = int(time.time() * 1000) - 1
    assert state.hand_slot(key, "holder", far, first, gone)
    watch = {"kind": WATCH_KIND, "key": key, "limit": 1}

    watch_due(app.backends(), {**watch, "due": due - 1})  # a leftover of an older watch
    assert state.slot_holders(key) == {first: gone}

    watch_due(app.backends(), {**watch, "due": due})
    assert first in state.slot_holders(key)
    assert state.slot_holders(key)[first] > gone  # reserved again, and woken
    again = state.slot_counter(key).watch
    assert again is not None
    assert again != due  # runs still wait: watched on
    assert harness.finish(first).status == "completed"
    assert harness.finish(second).status == "completed"
    assert state.slot_holders(key) == {}

    watch_due(app.backends(), {**watch, "due": again})
    assert state.slot_counter(key).watch is None  # the line is empty: no watch left


def test_a_malformed_watch_message_is_dropped(engine_env: EngineEnv) -> None:
    Harness(app, engine_env)
    for body in (
        {"kind": WATCH_KIND},
        {"kind": WATCH_KIND, "key": "RUN#x", "limit": 1, "due": 1},
        {"kind": WATCH_KIND, "key": _key(), "limit": 0, "due": 1},
        {"kind": WATCH_KIND, "key": _key(), "limit": 1, "due": "soon"},
    ):
        watch_due(app.backends(), body)
        app.execute(body, None)
    assert app.backends().state.slot_counter(_key()).watch is None


@pytest.mark.also_on_aws
def test_the_watch_comes_when_a_holders_lease_ends(engine_env: EngineEnv) -> None:
    harness = Harness(app, engine_env)
    key = _key()
    state = app.backends().state
    lease_end = int(time.time() * 1000) + 10_000
    assert state.acquire_slots("holder", [SlotLimit(key, 1)], lease_end) is None
    _park(harness, 1)
    due = state.slot_counter(key).watch
    assert due is not None
    assert lease_end < due <= lease_end + 2000  # a second after it: the slot can be reaped
    # a watch armed for later (before the holder took its slot) is brought forward
    later = due + 30_000
    assert state.replace_watch(key, due, later)
    _park(harness, 2)
    again = state.slot_counter(key).watch
    assert again is not None
    assert lease_end < again <= lease_end + 2000
