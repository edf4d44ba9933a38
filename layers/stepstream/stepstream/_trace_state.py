"""What ``_tracing`` (the cheap switch) and ``_xray`` (the SDK side) share: the open span of the
current task or thread, and whether this is a Lambda."""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._xray import Span

current: ContextVar[Span | None] = ContextVar("stepstream_trace_span", default=None)
"""The innermost open span of this task or thread; ``None`` when tracing is off."""


def on_lambda() -> bool:
    """Running in a Lambda (not SAM's or Chalice's local emulation), as Powertools decides."""
    local_emulation = os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE")
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not local_emulation
