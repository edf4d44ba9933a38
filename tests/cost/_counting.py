"""An independent count of the AWS requests made for one run: bench's ``RequestCounter`` (a
botocore ``before-call`` hook) on the library's clients, switched on only while the run is
started (``start_run``, inside the event's ingestion) and while the executor handler runs, so
the event's own ingestion requests, the poller's receive and delete (on AWS, the event source
mapping's) and the test's reads stay out, as they stay out of a run's ledger."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import stepstream.aws as _aws_module
from bench._support import RequestCounter
from stepstream import RunStatus, Stepstream
from stepstream.aws import client, session
from stepstream.engine._start import start_run
from stepstream.handlers import executor_handler
from stepstream.local import LambdaContext, SqsPoller

SERVICES = ("dynamodb", "sqs", "s3", "apigatewaymanagementapi")


class InvocationCounter(RequestCounter):
    """Counts only while ``on`` is set; ``updates`` keeps each UpdateItem's expression."""

    def __init__(self) -> None:
        super().__init__()
        self.on = threading.Event()
        self.updates: list[str] = []

    def __call__(self, model: Any, **kwargs: Any) -> None:
        if self.on.is_set():
            super().__call__(model, **kwargs)


class ExpressionHook:
    """Keeps each UpdateItem's ``UpdateExpression`` while the counter is on (the ledger's own
    write is the one that only ``ADD``s ``cost#`` attributes)."""

    def __init__(self, counter: InvocationCounter) -> None:
        self.counter = counter

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if self.counter.on.is_set():
            self.counter.updates.append(str(params.get("UpdateExpression", "")))


def _register(events: Any, counter: InvocationCounter) -> None:
    for service in SERVICES:
        events.register(f"before-call.{service}", counter, unique_id=f"test-cost-{service}")
    events.register(
        "before-parameter-build.dynamodb.UpdateItem",
        ExpressionHook(counter),
        unique_id="test-cost-updates",
    )


def counting(counter: InvocationCounter) -> None:
    """Register ``counter`` on the session the library makes its clients from, and drop the
    cached clients so every client made from now on carries it (a poller's first invocation
    remakes them too, with its own hooks added: hooks on the session survive that). A session
    made later gets it too: another test's stack stopping in the background resets the clients
    and their session (``reset_clients``), and a run counted after that counted nothing."""
    original = _aws_module.session
    _register(original().events, counter)

    def hooked() -> Any:
        made = original()
        _register(made.events, counter)  # unique ids: once per session
        return made

    hooked.cache_clear = original.cache_clear  # type: ignore[attr-defined]
    _patched_session[:] = [original]
    _aws_module.session = hooked  # type: ignore[assignment]
    client.cache_clear()


def uncounting() -> None:
    if _patched_session:
        _aws_module.session = _patched_session.pop()
    events = session().events
    for service in SERVICES:
        events.unregister(f"before-call.{service}", unique_id=f"test-cost-{service}")
    events.unregister("before-parameter-build.dynamodb.UpdateItem", unique_id="test-cost-updates")
    client.cache_clear()


_patched_session: list[Any] = []
"""The library's own ``session`` while :func:`counting` has put its wrapper in its place."""


def drive(app: Stepstream, counter: InvocationCounter, run_id: str) -> int:
    """Invoke the executor for each message of the queue until the run ends; the number of
    invocations."""
    handler = executor_handler(app)
    invocations = 0

    def counted(event: dict[str, Any], context: Any) -> Any:
        nonlocal invocations
        invocations += 1
        counter.on.set()
        try:
            return handler(event, LambdaContext(memory_limit_in_mb=1024))
        finally:
            counter.on.clear()

    poller = SqsPoller(counted, app.backends().settings.queue_url, wait_seconds=0)
    deadline = time.monotonic() + 60
    while True:
        view = app.runs.get(run_id)
        if view is not None and RunStatus.is_terminal(view.status):
            return invocations
        assert time.monotonic() < deadline, "the run did not finish"
        if not poller.poll_once(wait_seconds=0):
            time.sleep(0.05)


def counted_start(counter: InvocationCounter) -> Callable[..., Any]:
    """``start_run`` with the counter on while it runs."""

    def start(*args: Any, **kwargs: Any) -> Any:
        counter.on.set()
        try:
            return start_run(*args, **kwargs)
        finally:
            counter.on.clear()

    return start


def by_service(counts: Counter[str]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for key, n in counts.items():
        service, _, operation = key.partition(":")
        if service == "apigatewaymanagementapi" and operation != "PostToConnection":
            continue
        out[service] += n
    return dict(out)
