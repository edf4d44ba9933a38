"""Backends without AWS: the in-memory state store, queue and blob store, for the engine's
semantic tests and a dev stack that needs no moto. Pass ``lambda: backends`` (one shared set)
as ``Stepstream(..., backends=...)`` or ``app.backends_provider``."""

from __future__ import annotations

from .._config import Settings
from ..engine._backends import Backends
from ..store import MemoryBlobs, MemoryQueue, MemoryState


def memory_backends(settings: Settings | None = None) -> Backends:
    """A fresh, empty set of in-memory backends; ``settings`` default to the environment's."""
    return Backends(
        settings=settings or Settings.from_env(),
        state=MemoryState(MemoryBlobs()),
        queue=MemoryQueue(),
    )
