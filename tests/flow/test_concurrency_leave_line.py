"""GIVEN a run parked behind a full concurrency key, woken when the holder hands its slot over
WHEN it starts (it leaves the line while its body starts, off its start's path) and its line
entry's delete is slow
THEN its body does not wait for the delete, yet the entry is gone before its slot goes back (a
later park of the run, under the same sort key, is never undone by it), and nothing is held or
in line at the end."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from stepstream import Context, Stepstream
from stepstream.engine._flow import _concurrency
from stepstream.engine._flow._concurrency import counters, release
from stepstream.store import RunRecord, SlotLimit

from ..engine.harness import EngineEnv, Harness

app = Stepstream(id="flow-leave-line")
began = threading.Event()


@app.function(id="one-slot", trigger="flow/leave", concurrency=1)
async def one_slot(ctx: Context) -> bool:
    began.set()
    return bool(await ctx.step.run("one", lambda: True))


def _key() -> str:
    fn = app.get_function("one-slot")
    assert fn is not None
    return counters(fn, {"name": "flow/leave", "data": {}})[0].limit.key


@pytest.mark.also_on_aws
def test_a_woken_run_leaves_its_line_before_its_slot_goes_back(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness(app, engine_env)
    fn = app.get_function("one-slot")
    assert fn is not None
    key = _key()
    state = app.backends().state
    far = int(time.time() * 1000) + 600_000
    assert state.acquire_slots("holder", [SlotLimit(key, 1)], far) is None
    run_id = harness.run_of(harness.send("flow/leave", {}))
    harness.poller.poll_once(wait_seconds=0)
    assert [run for _, run in state.first_waiters(key, 5)] == [run_id]
    began.clear()
    store = type(state)
    delete = store.delete_waiter

    def slow_delete(self: Any, *args: Any) -> None:
        assert began.wait(10), "the body waited for the line entry's delete"
        time.sleep(0.5)  # slower than the body: its slot would go back before the delete
        delete(self, *args)

    in_line_at_release: list[list[tuple[str, str]]] = []
    give_back = _concurrency.release

    def watched_release(backends: Any, fn: Any, run: RunRecord, lease_until: int) -> None:
        if run.run_id == run_id:
            in_line_at_release.append(state.first_waiters(key, 5))
        give_back(backends, fn, run, lease_until)

    monkeypatch.setattr(store, "delete_waiter", slow_delete)
    monkeypatch.setattr(_concurrency, "release", watched_release)
    release(app.backends(), fn, RunRecord("holder", fn.id, {"name": "flow/leave"}), far)
    view = harness.finish(run_id)
    assert view.status == "completed"
    assert in_line_at_release == [[]]
    assert state.slot_holders(key) == {}
    assert state.first_waiters(key, 5) == []
