"""The per-run cost ledger: what each run used on AWS, counted as the library's clients make
their requests, and a dollar estimate from a dated, region-aware price table.

The executor charges an invocation's requests to its run (:func:`charging`) and adds them to
the run item once, at the end of the invocation (docs/execution-model.md, "Cost ledger").
``app.runs.get(run_id).cost`` and ``GET /v1/runs/{id}`` read it back."""

from __future__ import annotations

from ._estimate import estimate
from ._finished import FinishedRun, note_finished, take_finished
from ._ledger import UNITS, Ledger, charging, current_ledger, is_unit, record_tokens
from ._prices import BEDROCK_PER_TOKEN, DEFAULT_REGION, PRICES, PRICES_DATE, prices_for

__all__ = [
    "BEDROCK_PER_TOKEN",
    "DEFAULT_REGION",
    "PRICES",
    "PRICES_DATE",
    "UNITS",
    "FinishedRun",
    "Ledger",
    "charging",
    "current_ledger",
    "estimate",
    "is_unit",
    "note_finished",
    "prices_for",
    "record_tokens",
    "take_finished",
]
