"""stepstream: durable step functions and realtime streaming to the browser, on your own AWS.

The public surface is what ``__all__`` lists; everything in a module starting with ``_`` or in
a subpackage's private modules may change without notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._app import Stepstream
from ._errors import (
    EventValidationError,
    NonRetriableError,
    OperationError,
    PayloadTooLargeError,
    RetryAfterError,
    StepError,
    StepstreamError,
)
from ._event import Event
from ._flow import (
    Batch,
    Concurrency,
    Debounce,
    FlowConfigError,
    Priority,
    RateLimit,
    Singleton,
    Throttle,
    Timeouts,
)
from ._function import CancelOn, Function, TriggerCron, TriggerEvent
from ._loader import load_app
from ._states import RunStatus, StepStatus
from .engine._backends import Backends
from .engine._context import Context, SyncContext
from .engine._step import Step, SyncStep
from .engine._views import RunView, StepView
from .realtime import (
    PublishValidationError,
    Realtime,
    TokenRequest,
    channel,
    get_subscription_token,
    topic,
)

if TYPE_CHECKING:
    from .realtime import subscribe

__all__ = [
    "Backends",
    "Batch",
    "CancelOn",
    "Concurrency",
    "Context",
    "Debounce",
    "Event",
    "EventValidationError",
    "FlowConfigError",
    "Function",
    "NonRetriableError",
    "OperationError",
    "PayloadTooLargeError",
    "Priority",
    "PublishValidationError",
    "RateLimit",
    "Realtime",
    "RetryAfterError",
    "RunStatus",
    "RunView",
    "Singleton",
    "Step",
    "StepError",
    "StepStatus",
    "StepView",
    "Stepstream",
    "StepstreamError",
    "SyncContext",
    "SyncStep",
    "Throttle",
    "Timeouts",
    "TokenRequest",
    "TriggerCron",
    "TriggerEvent",
    "channel",
    "get_subscription_token",
    "load_app",
    "subscribe",
    "topic",
]


def __getattr__(name: str) -> Any:
    # The subscriber needs websockets, which only code that subscribes should pay to import.
    if name == "subscribe":
        from . import realtime

        return realtime.subscribe
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
