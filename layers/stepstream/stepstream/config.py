"""stepstream's settings, read from the environment in one place (``Settings.from_env``), and the
development keys that only the local stack accepts."""

from __future__ import annotations

from ._config import DEV_EVENT_KEY, DEV_SIGNING_KEY, Settings

__all__ = ["DEV_EVENT_KEY", "DEV_SIGNING_KEY", "Settings"]
