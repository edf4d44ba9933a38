"""Flow control in the engine: the hooks the executor and run starts call. Each mechanism is a
module of its own; docs/execution-model.md ("Flow control") says which conditional writes make
each safe."""

from __future__ import annotations

from ._concurrency import acquire as acquire_slots
from ._concurrency import release as release_slots

__all__ = ["acquire_slots", "release_slots"]
