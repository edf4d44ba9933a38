"""Flow control in the engine: the hooks that run starts, the executor and run ends call.
Each mechanism is a module of its own; docs/execution-model.md ("Flow control") says which
conditional writes make each safe."""

from __future__ import annotations

from ._concurrency import WAKE_KIND, Slots, watch_due
from ._concurrency import acquire as acquire_slots
from ._concurrency import release as release_slots
from ._gather import BATCH_FIELD, gather, gathers
from ._gather import on_message as gather_due
from ._starts import StartGate, after_created, gate, release_singleton
from ._timeouts import expire, schedule_finish
from ._usage import PendingView, UsageView, pending, reads_per_view, usage
from ._watch import WATCH_KIND

__all__ = [
    "BATCH_FIELD",
    "WAKE_KIND",
    "WATCH_KIND",
    "PendingView",
    "Slots",
    "StartGate",
    "UsageView",
    "acquire_slots",
    "after_created",
    "expire",
    "gate",
    "gather",
    "gather_due",
    "gathers",
    "pending",
    "reads_per_view",
    "release_singleton",
    "release_slots",
    "schedule_finish",
    "usage",
    "watch_due",
]
