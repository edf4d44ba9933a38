"""X-Ray tracing: a subsegment per run message, step, publish batch and fan-out, and the trace
header that links a run's invocations through SQS.

Tracing is on on Lambda (``LAMBDA_TASK_ROOT``, not SAM local) unless
``POWERTOOLS_TRACE_DISABLED`` is true, and off the Lambda only when ``STEPSTREAM_TRACING`` is true
(``make dev``: segments go to the X-Ray daemon protocol on ``AWS_XRAY_DAEMON_ADDRESS``,
docs/tracing.md). Off, nothing here imports ``aws_xray_sdk`` (``_xray`` does, on first use) and
every call is a check of one cached flag: a span is a shared no-op context manager.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ._trace_state import current, on_lambda

if TYPE_CHECKING:
    from ._xray import Span

__all__ = [
    "LOCAL_SWITCH",
    "annotate",
    "current",
    "enabled",
    "lambda_handler",
    "message",
    "on_lambda",
    "reset",
    "span",
    "sqs_trace_header",
]

F = TypeVar("F", bound=Callable[..., Any])
LOCAL_SWITCH = "STEPSTREAM_TRACING"
"""Set to ``true`` to trace off Lambda (the dev stack, a script)."""
_TRUE = {"1", "true", "yes", "on"}
_NOOP: contextlib.nullcontext[None] = contextlib.nullcontext()
_log = logging.getLogger("stepstream.tracing")


def _true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


@functools.cache
def enabled() -> bool:
    """Whether this process traces; decided once (``reset`` forgets it, for tests)."""
    if _true("POWERTOOLS_TRACE_DISABLED") or not (on_lambda() or _true(LOCAL_SWITCH)):
        return False
    if importlib.util.find_spec("aws_xray_sdk") is None:
        _log.warning(
            "tracing is off: aws_xray_sdk is not installed (add aws-xray-sdk to the layer's "
            "requirements.txt, or set POWERTOOLS_TRACE_DISABLED=true to silence this)"
        )
        return False
    return True


def reset() -> None:
    """Decide again from the environment (tests switch tracing on and off)."""
    enabled.cache_clear()


def span(
    name: str, *, parent: Span | None = None, **annotations: str | int | float | bool
) -> contextlib.AbstractContextManager[Span | None]:
    """A subsegment named ``name`` under ``parent`` (default: the current span, else the
    invocation's segment), annotated, current inside the block; a no-op when tracing is off."""
    if not enabled():
        return _NOOP
    from . import _xray

    return _xray.span(name, parent, annotations)


def annotate(**annotations: str | int | float | bool | None) -> None:
    """Annotate the current span (``None`` values are left out); nothing when off."""
    opened = current.get()
    if opened is not None:
        opened.annotate(annotations)


@contextlib.contextmanager
def message(trace_header: str | None, name: str) -> Iterator[None]:
    """Trace one queue message. On Lambda the invocation's segment is the parent (X-Ray links
    the sender's trace through the message's ``AWSTraceHeader``); off Lambda a segment named
    ``name`` continues the sender's trace, so the run's invocations share one trace."""
    if not enabled():
        yield
        return
    from . import _xray

    with _xray.message(trace_header, name):
        yield


def sqs_trace_header() -> str | None:
    """The ``AWSTraceHeader`` for a message sent now: the current trace, with the current span
    as the parent; ``None`` when tracing is off or there is no trace to continue."""
    if not enabled():
        return None
    from . import _xray

    return _xray.trace_header()


def lambda_handler(handle: F) -> F:
    """``handle`` under Powertools' ``capture_lambda_handler`` on Lambda (a ``## handler``
    subsegment with the ColdStart annotation, and botocore calls traced); as is otherwise."""
    if not (enabled() and on_lambda()):
        return handle
    from . import _xray

    return _xray.capture_lambda_handler(handle)
