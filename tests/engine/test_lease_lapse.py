"""GIVEN an invocation that outlives its lease: its message comes back after the visibility
timeout, another executor claims the run with it and is killed before it can let go (forced
with a fault hook, so the interleaving is deterministic)
WHEN the first invocation then finds the run taken (its release, here a hand-over, is refused;
or its checkpoint is rejected for a lost lease) and returns, acknowledging the message
THEN it leaves a message that retries the run, and the run completes.

The acknowledgement deletes the message the killed executor was holding too (SQS may, and moto
does, delete a message by an older receipt handle), so no message of the killers' is left: the
test sends none for it. This is the chaos test's run that stayed ``running`` with no message
(tests/chaos: a hand-over release refused after a claim no journal line recorded).

And when the executor that took the run lives and lets go of it (hands it over), the first one's
rejected checkpoint is a lost lease, not a cancel: a child run is not reported cancelled to its
parent."""

from __future__ import annotations

import pytest

from stepstream import Context, Stepstream
from stepstream.engine import _faults
from stepstream.engine._ids import now_ms

from .harness import EngineEnv, Harness

app = Stepstream(id="test-lease-lapse")
bodies: list[str] = []
KILLED = "killed-executor"


def _noted(name: str) -> str:
    bodies.append(name)
    return name


@app.function(id="two", trigger="test/lapse.start")
async def two(ctx: Context) -> str:
    a = await ctx.step.run("a", _noted, "a")
    b = await ctx.step.run("b", _noted, "b")
    return a + b


def _taken_by_a_killed_executor(point: str) -> tuple[list[str], _faults.FaultHook]:
    """A hook that, at ``point`` of step ``a`` (once), lets the run's lease lapse and has a
    second executor claim the run and die at once: its lease has already run out."""
    taken: list[str] = []

    def hook(at: str, run_id: str, step_hash: str) -> None:
        if at != point or taken:
            return
        state = app.backends().state
        run = state.get_run(run_id)
        assert run is not None
        assert run.lease_until is not None
        # The claimer's clock reads past the first lease; the claim is that of a live executor.
        assert state.claim_run(run_id, KILLED, now_ms(), run.lease_until + 1) is not None
        taken.append(run_id)

    return taken, hook


@pytest.mark.also_on_aws
def test_a_refused_handover_leaves_a_message_that_retries_the_run(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN every invocation is past the hand-over margin after its first new step
    monkeypatch.setenv("STEPSTREAM_HANDOVER_MS", "60000")
    bodies.clear()
    taken, hook = _taken_by_a_killed_executor(_faults.AFTER_CHECKPOINT)
    app.fault_hook = hook
    try:
        h = Harness(app, engine_env, timeout_ms=30_000)
        run_id = h.run_of(h.send("test/lapse.start"))
        # WHEN the first invocation stores step a, loses the run, and hands over (refused)
        assert h.poller.poll_once(wait_seconds=0) == 1
        assert taken == [run_id]
        run = app.backends().state.get_run(run_id)
        assert run is not None
        assert run.status == "running"
        assert run.lease_owner == KILLED
        # THEN a message for the run is on its way, for when the killed executor's lease ends
        assert engine_env.delayed_messages() == 1
        view = h.finish(run_id, timeout=15)
    finally:
        app.fault_hook = None

    assert view.status == "completed"
    assert view.output == "ab"
    assert bodies == ["a", "b"]


def test_a_lease_lost_at_a_checkpoint_leaves_a_message_that_retries_the_run(
    engine_env: EngineEnv,
) -> None:
    bodies.clear()
    taken, hook = _taken_by_a_killed_executor(_faults.BEFORE_CHECKPOINT)
    app.fault_hook = hook
    try:
        h = Harness(app, engine_env)
        run_id = h.run_of(h.send("test/lapse.start"))
        # WHEN the first invocation's checkpoint of step a is rejected: the lease is lost
        assert h.poller.poll_once(wait_seconds=0) == 1
        assert taken == [run_id]
        assert engine_env.delayed_messages() == 1
        view = h.finish(run_id, timeout=15)
    finally:
        app.fault_hook = None

    # THEN the run completes; a's body ran again, as a lost lease before its checkpoint allows
    assert view.status == "completed"
    assert view.output == "ab"
    assert bodies == ["a", "a", "b"]


@app.function(id="parent", trigger="test/lapse.parent")
async def parent(ctx: Context) -> str:
    out: str = await ctx.step.invoke("child", function=two, data={}, timeout="1m")
    return out


@pytest.mark.also_on_aws
def test_a_run_another_executor_took_and_let_go_of_is_not_taken_for_cancelled(
    engine_env: EngineEnv,
) -> None:
    # GIVEN the child run's lease lapses before its first checkpoint, and a live executor
    # claims the child, hands it over (its message queued) and lets go
    bodies.clear()
    state_of = app.backends
    taken: list[str] = []

    def hook(at: str, run_id: str, step_hash: str) -> None:
        state = state_of().state
        run = state.get_run(run_id)
        if at != _faults.BEFORE_CHECKPOINT or taken or run is None or run.function_id != "two":
            return
        assert run.lease_until is not None
        assert state.claim_run(run_id, "other", now_ms(), run.lease_until + 1) is not None
        assert state.release(run_id, "other", "queued")
        state_of().queue.send({"run_id": run_id, "kind": "handover"})
        taken.append(run_id)

    app.fault_hook = hook
    try:
        h = Harness(app, engine_env)
        run_id = h.run_of(h.send("test/lapse.parent"))
        view = h.finish(run_id, timeout=15)
    finally:
        app.fault_hook = None

    # THEN the first executor stops as for a lost lease, not a cancel: the parent gets the
    # child's result rather than a "cancelled" error
    assert len(taken) == 1
    assert view.status == "completed", view.error
    assert view.output == "ab"
    child = app.backends().state.get_run(taken[0])
    assert child is not None
    assert child.status == "completed"
