"""Lambda's recursive loop detection, played by the local poller.

On AWS, Lambda follows a chain of events through the X-Ray trace header: a message a function
sends while it handles an SQS message carries the invocation's trace header (``AWSTraceHeader``)
with a ``Lineage`` that counts the chain's invocations of each function. When a chain reaches
about 16 invocations of the same function, Lambda stops it: the next invocation does not happen
and the message is dropped (or sent to a dead-letter destination), unless the function's
``RecursiveLoop`` is ``Allow``. The count is per function: an executor chain of any length that
publishes to the fan-out queue starts the fan-out function's count at one, and only a loop back
into the same function raises it.

Here the poller sets :data:`_lineage` while it invokes a handler, and a botocore
``before-parameter-build`` hook on ``stepstream._aws``'s session stamps every ``SendMessage`` /
``SendMessageBatch`` made in that context with an ``AWSTraceHeader`` carrying the count; the
poller reads it back from the received message's attributes.
"""

from __future__ import annotations

import re
import threading
import uuid
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .. import _aws

MAX_CHAIN = 16
"""Invocations in one chain Lambda lets through before it stops the chain."""

_HOOK_ID = "stepstream-local-recursion"
_LINEAGE = re.compile(r"Lineage=([0-9a-f]+:\d+(?:,[0-9a-f]+:\d+)*)")
_ROOT = re.compile(r"Root=([^;]+)")
_LINEAGE_FIELD = re.compile(r";?Lineage=[^;]*")


def _tag(function: str) -> str:
    return f"{zlib.crc32(function.encode('utf-8')):08x}"


@dataclass(frozen=True)
class Lineage:
    root: str
    """The chain's trace id (X-Ray's ``Root``)."""
    counts: tuple[tuple[str, int], ...]
    """Invocations of the chain so far per function (by tag), this one included."""

    def count_of(self, function: str) -> int:
        """The chain's invocations of ``function`` so far."""
        return dict(self.counts).get(_tag(function), 0)

    def field(self) -> str:
        """The header's ``Lineage`` field."""
        return "Lineage=" + ",".join(f"{tag}:{count}" for tag, count in self.counts)

    def header(self) -> str:
        return f"Root={self.root};Sampled=0;{self.field()}"


_lineage: ContextVar[Lineage | None] = ContextVar("stepstream_lineage", default=None)
_hooked: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()


def lineage_of(attributes: dict[str, Any]) -> Lineage | None:
    """The chain a received message belongs to (None: it starts one)."""
    header = attributes.get("AWSTraceHeader")
    if not isinstance(header, str):
        return None
    counts, root = _LINEAGE.search(header), _ROOT.search(header)
    if counts is None or root is None:
        return None
    pairs = (pair.split(":") for pair in counts.group(1).split(","))
    return Lineage(root.group(1), tuple((tag, int(count)) for tag, count in pairs))


def next_invocation(previous: Lineage | None, function: str) -> Lineage:
    """The lineage of an invocation of ``function`` handling a message of ``previous``'s
    chain."""
    if previous is None:
        return Lineage(f"1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}", ((_tag(function), 1),))
    counts = dict(previous.counts)
    counts[_tag(function)] = counts.get(_tag(function), 0) + 1
    return Lineage(previous.root, tuple(counts.items()))


@contextmanager
def invoking(lineage: Lineage) -> Iterator[None]:
    """Messages sent to SQS in this context continue ``lineage``'s chain."""
    install()
    token = _lineage.set(lineage)
    try:
        yield
    finally:
        _lineage.reset(token)


def install() -> None:
    """Hook the session ``stepstream._aws`` makes clients from. A client copies its session's
    hooks when it is made, so the cached clients are dropped (not the session: the IAM
    emulation's hook stays on it)."""
    session = _aws.session()
    if session in _hooked:
        return
    with _lock:
        if session in _hooked:
            return
        _aws.client.cache_clear()
        for operation in ("SendMessage", "SendMessageBatch"):
            event = f"before-parameter-build.sqs.{operation}"
            session.events.register(event, _stamp, unique_id=f"{_HOOK_ID}-{operation}")
        _hooked.add(session)


def _stamp(params: dict[str, Any], model: Any, **_: Any) -> None:
    lineage = _lineage.get()
    if lineage is None:
        return
    for message in params.get("Entries", []) if model.name == "SendMessageBatch" else [params]:
        attributes = message.setdefault("MessageSystemAttributes", {})
        traced = attributes.get("AWSTraceHeader")
        if traced is None:
            attributes["AWSTraceHeader"] = {"DataType": "String", "StringValue": lineage.header()}
        else:
            # The sender traces (STEPSTREAM_TRACING): its header names the trace; Lambda keeps
            # the chain's count in the same header, so add it there.
            kept = _LINEAGE_FIELD.sub("", str(traced.get("StringValue", "")))
            traced["StringValue"] = f"{kept};{lineage.field()}"
