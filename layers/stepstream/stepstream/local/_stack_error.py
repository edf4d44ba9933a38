"""The one error a local stack's startup raises; its own module so the stack's parts can raise it
without importing the stack."""

from __future__ import annotations


class LocalStackError(Exception):
    """Startup cannot continue; the message says why and what to do."""
