"""The X-Ray half of ``_tracing``, imported only when tracing is on.

Spans are not kept on the X-Ray SDK's context stack: that stack is per thread, and a run's
parallel steps interleave on one event loop thread, where ending "the current subsegment" would
end a sibling's. Each span is its own subsegment, parented explicitly (the parent travels in the
``_tracing.current`` context variable, which tasks and ``offload`` threads inherit), and is sent
to the daemon on its own as soon as it ends, as the SDK streams subsegments on Lambda. A span
that ends after its parent (a fan-out finishing after its step) is still a valid subsegment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import DEFAULT_DAEMON_ADDRESS
from aws_xray_sdk.core.models.entity import Entity
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.subsegment import Subsegment
from aws_xray_sdk.core.models.trace_header import TraceHeader

from ._trace_state import current, on_lambda

F = TypeVar("F", bound=Callable[..., Any])
_BAD_NAME_CHARACTERS = set("?;*()!$~^<>")
_MAX_NAME = 200
_MAX_TRACEBACK = 10


class Span:
    """One open segment or subsegment, and the segment its trace id comes from."""

    __slots__ = ("entity", "owned", "sampled", "segment")

    def __init__(self, entity: Entity, segment: Segment, *, sampled: bool, owned: bool) -> None:
        self.entity = entity
        self.segment = segment
        self.sampled = sampled
        self.owned = owned
        """Ours to close and send (not Lambda's facade segment or Powertools' subsegment)."""

    @property
    def id(self) -> str:
        return str(self.entity.id)

    @property
    def trace_id(self) -> str:
        return str(self.segment.trace_id)

    def annotate(self, annotations: Mapping[str, Any]) -> None:
        if not self.owned or not self.entity.in_progress:
            return  # Lambda's facade segment refuses annotations; an ended span is sent already
        for key, value in annotations.items():
            if value is not None:
                self.entity.put_annotation(key, value)

    def end(self, error: BaseException | None = None) -> None:
        if not self.owned:
            return
        if isinstance(error, Exception):  # an interrupt (BaseException) is control flow
            stack = traceback.extract_tb(error.__traceback__, limit=_MAX_TRACEBACK)
            self.entity.add_exception(error, stack)
        # Entity.close, not Subsegment.close: that one counts down the segment's open children,
        # and a span is never added to its segment (it is sent on its own).
        Entity.close(self.entity)
        if self.sampled:
            _send(self.entity)


_sending_to: list[str] = []


def _send(entity: Entity) -> None:
    """Through the recorder's emitter (Powertools' subsegments go there too), to the daemon
    ``AWS_XRAY_DAEMON_ADDRESS`` names now: the SDK reads it once, at import."""
    address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS", DEFAULT_DAEMON_ADDRESS)
    if _sending_to != [address]:
        xray_recorder.emitter.set_daemon_address(address)
        _sending_to[:] = [address]
    xray_recorder.emitter.send_entity(entity)


def _clean(name: str) -> str:
    return "".join(c for c in name if c not in _BAD_NAME_CHARACTERS)[:_MAX_NAME] or "span"


def _service() -> str:
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or "stepstream"


def _lambda_parent() -> Span:
    """The entity Lambda's X-Ray context has open on this thread: Powertools' ``## handler``
    subsegment, or the facade segment Lambda made from ``_X_AMZN_TRACE_ID``."""
    entity = xray_recorder.get_trace_entity()
    segment = entity if isinstance(entity, Segment) else entity.parent_segment
    return Span(entity, segment, sampled=bool(entity.sampled), owned=False)


def _child(name: str, parent: Span) -> Span:
    sub = Subsegment(_clean(name), "local", parent.segment)
    sub.parent_id = parent.id
    return Span(sub, parent.segment, sampled=parent.sampled, owned=True)


@contextlib.contextmanager
def _current(opened: Span) -> Iterator[Span]:
    token = current.set(opened)
    error: BaseException | None = None
    try:
        yield opened
    except BaseException as exc:
        error = exc
        raise
    finally:
        current.reset(token)
        opened.end(error)


@contextlib.contextmanager
def span(name: str, parent: Span | None, annotations: Mapping[str, Any]) -> Iterator[Span]:
    parent = parent or current.get()
    if parent is None and on_lambda():
        parent = _lambda_parent()
    if parent is None:
        # Off Lambda with nothing open (a publish from a script): the span starts a trace.
        with _root(None) as root, _current(_child(name, root)) as opened:
            opened.annotate(annotations)
            yield opened
        return
    with _current(_child(name, parent)) as opened:
        opened.annotate(annotations)
        yield opened


@contextlib.contextmanager
def _root(trace_header: str | None) -> Iterator[Span]:
    """A segment of our own (off Lambda), continuing ``trace_header``'s trace if given. Always
    sampled: locally there is no sampling rule to follow, and the dev stack's recursion
    emulation writes ``Sampled=0`` into headers it makes up."""
    header = TraceHeader.from_header_str(trace_header) if trace_header else None
    segment = Segment(
        _clean(_service()),
        traceid=header.root if header is not None else None,
        parent_id=header.parent if header is not None else None,
    )
    with _current(Span(segment, segment, sampled=True, owned=True)) as root:
        yield root


@contextlib.contextmanager
def message(trace_header: str | None, name: str) -> Iterator[None]:
    if on_lambda():
        # Lambda made this invocation's segment already; X-Ray links the sender's trace to it
        # from the message's AWSTraceHeader.
        token = current.set(_lambda_parent())
        try:
            yield
        finally:
            current.reset(token)
        return
    with _root(trace_header) as root:
        root.annotate({"message": name})
        yield


def trace_header() -> str | None:
    opened = current.get()
    if on_lambda():
        # Lambda's header, with every field kept (Lineage is how Lambda counts a recursive
        # chain) and the open span, if it is sent, as the parent.
        lambda_header = TraceHeader.from_header_str(os.environ.get("_X_AMZN_TRACE_ID"))
        if not lambda_header.root:
            return None
        parent = lambda_header.parent
        if opened is not None and opened.sampled and opened.trace_id == lambda_header.root:
            parent = opened.id
        return str(
            TraceHeader(
                root=lambda_header.root,
                parent=parent,
                sampled=lambda_header.sampled,
                data=lambda_header.data,
            ).to_header_str()
        )
    if opened is None:
        return None
    return str(TraceHeader(root=opened.trace_id, parent=opened.id, sampled=1).to_header_str())


def capture_lambda_handler(handle: F) -> F:
    captured: F = _tracer().capture_lambda_handler(handle, capture_response=False)
    return captured


@functools.cache
def _tracer() -> Any:
    # Powertools' Tracer: the ``## handler`` subsegment with ColdStart and Service annotations,
    # and botocore patched, so each DynamoDB, SQS and S3 request is a subsegment.
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=("botocore",))
