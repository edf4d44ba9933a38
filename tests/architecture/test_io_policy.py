"""The engine's I/O rule (docs/architecture.md, engine/_io.py): the event loop never blocks on
the store, the queue or the blob store.

GIVEN an app whose store, queue and blob store (the moto-backed ones) note, at every call,
whether the calling thread is running an event loop
WHEN a run goes through parallel steps (one of them retried, one with an output large enough
for S3), a sleep, a wait resolved by an event, a wait that times out, ``send_event`` and
``invoke`` of a plain ``def`` function that fails its first attempt
THEN the run completes, every store, queue and blob call was made, and none of them was made on
a thread that runs an event loop."""

from __future__ import annotations

import ast
import asyncio
import json
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

import stepstream.engine
from stepstream import Backends, Context, Stepstream, SyncContext
from stepstream.config import Settings
from stepstream.local import Provisioned, SqsPoller
from stepstream.store import (
    BlobStore,
    DynamoState,
    Queue,
    S3Blobs,
    SqsQueue,
    StateStore,
)

T = TypeVar("T")
LARGE = 400 * 1024
"""Over the 350 KB a step output may keep inline: it goes to the blob store."""


class Calls:
    """Store calls by method, and those made on a thread that runs an event loop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.off_loop: Counter[str] = Counter()
        self.on_loop: list[str] = []

    def note(self, method: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            with self.lock:
                self.off_loop[method] += 1
            return
        with self.lock:
            self.on_loop.append(f"{method} from {_engine_frame()}")


def _engine_frame() -> str:
    """The innermost engine line on the stack: who made the call."""
    for frame in reversed(traceback.extract_stack()):
        if "/stepstream/engine/" in frame.filename:
            return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.line}"
    return "outside the engine"


def checked(cls: type[T], interface: type, calls: Calls) -> type[T]:
    """A subclass of ``cls`` whose ``interface`` methods note their calling thread first."""

    def wrap(name: str) -> Callable[..., Any]:
        method = getattr(cls, name)

        def noted(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.note(f"{interface.__name__}.{name}")
            return method(self, *args, **kwargs)

        return noted

    abstract = [
        name
        for name in dir(interface)
        if getattr(getattr(interface, name), "__isabstractmethod__", False)
    ]
    methods = {name: wrap(name) for name in abstract}
    return type(f"Checked{cls.__name__}", (cls,), methods)


calls = Calls()
CheckedState = checked(DynamoState, StateStore, calls)
CheckedQueue = checked(SqsQueue, Queue, calls)
CheckedBlobs = checked(S3Blobs, BlobStore, calls)


def checked_backends() -> Backends:
    settings = Settings.from_env()
    return Backends(
        settings=settings,
        state=CheckedState(CheckedBlobs(settings), settings),
        queue=CheckedQueue(settings),
    )


app = Stepstream(id="test-io-policy", backends=checked_backends)
attempts: Counter[str] = Counter()


def flaky(run_id: str) -> str:
    attempts[run_id] += 1
    if attempts[run_id] == 1:
        raise RuntimeError("the first attempt fails")
    return "steady"


async def double(n: int) -> int:
    await asyncio.sleep(0)
    return 2 * n


@app.function(id="io-child", retries=1)
def child(ctx: SyncContext) -> dict[str, Any]:
    n = ctx.step.run("count", lambda: 3)
    if ctx.attempt == 0:
        raise RuntimeError("the child's first attempt fails")
    return {"n": n}


@app.function(id="io-parent", trigger="test/io.start", retries=0)
async def parent(ctx: Context) -> dict[str, Any]:
    a, b, c = await asyncio.gather(
        ctx.step.run("a", double, 21),
        ctx.step.run("b", lambda: "x" * LARGE),
        ctx.step.run("c", flaky, ctx.run_id, retries=1),
    )
    await ctx.step.sleep("nap", "1s")
    sent = await ctx.step.send_event("tell", {"name": "test/io.told", "data": {}})
    answer = await ctx.step.wait_for_event("answer", event="test/io.answer", timeout="1m")
    missed = await ctx.step.wait_for_event("missed", event="test/io.never", timeout="1s")
    invoked = await ctx.step.invoke("child", function=child)
    return {
        "a": a,
        "b": len(b),
        "c": c,
        "sent": len(sent),
        "answer": answer.data if answer else None,
        "missed": missed,
        "invoked": invoked,
    }


def _execute_records(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        app.execute(json.loads(record["body"]), context)
    return {"batchItemFailures": []}


def test_no_store_call_runs_on_the_event_loop(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    poller = SqsPoller(_execute_records, aws.environment["STEPSTREAM_QUEUE_URL"], wait_seconds=0)
    [event_id] = app.send({"name": "test/io.start", "data": {}})
    [run] = app.runs.for_event(event_id)

    def drive(until: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while not until():
            assert time.monotonic() < deadline, f"timed out; on the loop: {calls.on_loop}"
            if not poller.poll_once(wait_seconds=0):
                time.sleep(0.05)

    def status() -> str:
        view = app.runs.get(run.run_id)
        assert view is not None
        return view.status

    drive(lambda: status() == "waiting")
    app.send({"name": "test/io.answer", "data": {"yes": True}})
    drive(lambda: status() in ("completed", "failed", "cancelled"))

    view = app.runs.get(run.run_id)
    assert view is not None
    assert view.status == "completed", view.error
    assert view.output == {
        "a": 42,
        "b": LARGE,
        "c": "steady",
        "sent": 1,
        "answer": {"yes": True},
        "missed": None,
        "invoked": {"n": 3},
    }
    # THEN every kind of call the engine makes from async code happened, and off the loop
    made = set(calls.off_loop) | {c.split(" ")[0] for c in calls.on_loop}
    assert {
        "StateStore.checkpoint",
        "StateStore.release",
        "StateStore.events_between",
        "StateStore.delete_wait",
        "StateStore.load_step_output",
        "StateStore.create_run",
        "StateStore.claim_event",
        "StateStore.resolve_step",
        "Queue.send",
        "BlobStore.put",
        "BlobStore.get",
    } <= made
    assert calls.on_loop == [], "store calls on the event loop:\n" + "\n".join(calls.on_loop)


def test_the_engine_leaves_its_thread_only_through_engine_io() -> None:
    """One helper is the only way, so a reader never wonders where a call runs."""
    engine = Path(stepstream.engine.__file__).parent
    offenders = [
        f"{path.name}:{node.lineno} .{node.attr}"
        for path in sorted(engine.glob("*.py"))
        if path.name != "_io.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and node.attr in ("to_thread", "run_in_executor", "run_in_threadpool")
    ]
    assert offenders == [], f"use engine/_io.py instead: {offenders}"
