"""stepstream: durable step functions and realtime streaming to the browser, on your own AWS.

The public surface is what ``__all__`` lists; everything in a module starting with ``_`` or in
a subpackage's private modules may change without notice.
"""

from __future__ import annotations

from ._errors import (
    EventValidationError,
    NonRetriableError,
    PayloadTooLargeError,
    RetryAfterError,
    StepError,
    StepstreamError,
)
from ._loader import load_app

# --- engine exports (engine/, _app.py) ---

# --- realtime exports (realtime/) ---

__all__ = [
    "EventValidationError",
    "NonRetriableError",
    "PayloadTooLargeError",
    "RetryAfterError",
    "StepError",
    "StepstreamError",
    "load_app",
    # --- engine names ---
    # --- realtime names ---
]
