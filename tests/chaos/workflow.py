"""The chaos scenarios' app: one workflow that uses every kind of step, and the journal its step
bodies write so a test can tell a lost or doubled body from one the fault model allows.

``chaos`` runs ``a`` (a body), sleeps 1 s, waits for ``chaos/answer`` with its ``n``, invokes
``chaos-child`` (one body), publishes durably when the event asks (the realtime store is DynamoDB
only) and runs ``b``. Each body writes a start and an end line to the journal with a fresh token
and returns the token, so a stored result names the body execution that produced it.

The journal is a file when ``CHAOS_JOURNAL`` is set (executor processes append lines, each one
``write``; O_APPEND keeps them whole) and a list in this process otherwise.
``Duplicator`` makes backends whose queue sends some messages twice, as SQS may, and whose store
notes claims, checkpoints and releases in the journal (a failure shows what each executor did)."""

from __future__ import annotations

import contextvars
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from stepstream import Backends, Context, Stepstream
from stepstream.realtime import channel, topic
from stepstream.store import CheckpointRejected, Queue

app = Stepstream(id="chaos")
progress = channel(lambda n: f"chaos:{n}").add_topic(topic("done").type(dict))
BODY_SECONDS = float(os.environ.get("CHAOS_BODY_SECONDS", "0.02"))
"""Long enough that a SIGKILL at a random instant often lands inside a body."""
WAIT_TIMEOUT = "90s"
"""Longer than any scenario takes: a wait that times out means an answer was lost."""

_lock = threading.Lock()
journal: list[dict[str, Any]] = []
lease_until: contextvars.ContextVar[int] = contextvars.ContextVar("lease_until")
"""Until when this executor invocation's claim on its run holds (epoch ms), set at the claim."""
LEASE_SLACK_MS = 500
"""A checkpoint answered this close to the lease's end counts as late (clocks, rounding)."""


def note(**line: Any) -> None:
    line["pid"] = os.getpid()
    path = os.environ.get("CHAOS_JOURNAL")
    if path is None:
        with _lock:
            journal.append(line)
        return
    data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_journal(path: str | None = None) -> list[dict[str, Any]]:
    if path is None:
        with _lock:
            return list(journal)
    with open(path, encoding="utf-8") as lines:
        # a process killed mid-write may leave a partial last line: it is not a whole record
        return [json.loads(line) for line in lines if line.endswith("\n")]


def body(run_id: str, step: str) -> str:
    token = uuid.uuid4().hex
    note(kind="start", run=run_id, step=step, token=token)
    time.sleep(BODY_SECONDS)
    note(kind="end", run=run_id, step=step, token=token)
    return token


@app.function(id="chaos-child")
async def child(ctx: Context) -> str:
    return await ctx.step.run("c", body, ctx.run_id, "c")


@app.function(id="chaos", trigger="chaos/start")
async def chaos(ctx: Context) -> dict[str, Any]:
    n = int(ctx.event.data["n"])
    a = await ctx.step.run("a", body, ctx.run_id, "a")
    await ctx.step.sleep("nap", "1s")
    answer = await ctx.step.wait_for_event(
        "answer", event="chaos/answer", timeout=WAIT_TIMEOUT, if_exp="async.data.n == event.data.n"
    )
    c = await ctx.step.invoke("child", function=child, data={"n": n}, timeout="120s")
    published = None
    if ctx.event.data.get("publish"):
        frame = await ctx.step.realtime.publish("pub", progress(n).done, {"n": n})
        published = frame["id"]
    b = await ctx.step.run("b", body, ctx.run_id, "b")
    return {
        "a": a,
        "answer": answer.data["n"] if answer is not None else None,
        "c": c,
        "published": published,
        "b": b,
    }


BODY_STEPS = ("a", "b")


class Duplicator:
    """A backends provider whose queue sends a share of its messages twice (SQS is
    at-least-once): resumes, timers, retries and handovers arrive twice, so executors race on
    them."""

    def __init__(self, provider: Callable[[], Backends], share: float, seed: int) -> None:
        self.provider = provider
        self.share = share
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.duplicated = 0

    def __call__(self) -> Backends:
        made = self.provider()
        state: Any = _TracedState(made.state)
        return replace(made, queue=_Duplicating(made.queue, self), state=state)

    def twice(self) -> bool:
        with self.lock:
            if self.rng.random() >= self.share:
                return False
            self.duplicated += 1
            return True


class _Duplicating(Queue):
    def __init__(self, inner: Queue, duplicator: Duplicator) -> None:
        self.inner = inner
        self.duplicator = duplicator

    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        self.inner.send(body, delay_seconds)
        if self.duplicator.twice():
            self.inner.send(body, delay_seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _TracedState:
    """The state store, tracing claims, checkpoints and releases in the journal. Two of them
    let a body run again, as the model allows: a checkpoint that failed with a store error
    (moto answers some concurrent TransactWriteItems with a 500 until botocore gives up; the
    invocation fails and its message comes back), and one answered after the lease ended."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def checkpoint(self, run_id: str, owner: str, record: Any, **kwargs: Any) -> Any:
        try:
            stored = self.inner.checkpoint(run_id, owner, record, **kwargs)
        except CheckpointRejected as exc:
            note(kind="rejected", run=run_id, hash=record.hash, owner=owner, reason=exc.reason)
            self._late(run_id, record.hash)
            raise
        except Exception as exc:
            note(kind="store_error", run=run_id, hash=record.hash, error=repr(exc)[:200])
            raise
        note(kind="stored", run=run_id, hash=record.hash, owner=owner, status=record.status)
        return stored

    @staticmethod
    def _late(run_id: str, step_hash: str) -> None:
        """A checkpoint answered after this invocation's lease ended (a slow store, a loaded
        machine): another executor may have claimed the run meanwhile and run the same body,
        as the model allows."""
        until = lease_until.get(None)
        if until is not None and time.time() * 1000 > until - LEASE_SLACK_MS:
            note(kind="overrun", run=run_id, hash=step_hash)

    def claim_run(self, run_id: str, owner: str, until: int, now: int) -> Any:
        run = self.inner.claim_run(run_id, owner, until, now)
        note(kind="claim", run=run_id, owner=owner, until=until, now=now, won=run is not None)
        if run is not None:
            lease_until.set(until)  # the executor's context: its checkpoints see it
        return run

    def release(self, run_id: str, owner: str, status: str, **kwargs: Any) -> Any:
        done = self.inner.release(run_id, owner, status, **kwargs)
        note(kind="release", run=run_id, owner=owner, status=status, done=done)
        return done

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
