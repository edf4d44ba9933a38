"""One run's AWS usage, counted as requests are made, and the context variable that says which
run the current request is for."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

UNITS: tuple[str, ...] = (
    "dynamodb_requests",
    "dynamodb_read_units",
    "dynamodb_write_units",
    "sqs_requests",
    "sqs_billed_requests",
    "s3_put_requests",
    "s3_get_requests",
    "s3_bytes_in",
    "s3_bytes_out",
    "websocket_messages",
    "websocket_units",
    "lambda_invocations",
    "lambda_gb_seconds",
)
"""The ledger's fixed counters. Bedrock tokens are kept per model as ``bedrock_input_tokens#<model
id>`` and ``bedrock_output_tokens#<model id>``."""
TOKEN_PREFIXES = ("bedrock_input_tokens#", "bedrock_output_tokens#")


class Ledger:
    """Counters for one run (``run_id``); safe to add to from several threads."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._counts: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, unit: str, amount: float = 1) -> None:
        if not amount:
            return
        with self._lock:
            self._counts[unit] = self._counts.get(unit, 0) + amount

    def merge(self, counts: Mapping[str, float]) -> None:
        for unit, amount in counts.items():
            if is_unit(unit) and isinstance(amount, int | float):
                self.add(unit, amount)

    def counts(self) -> dict[str, float]:
        """A copy of the counters (non-zero ones only)."""
        with self._lock:
            return dict(self._counts)


def is_unit(name: object) -> bool:
    """Whether ``name`` is a counter a ledger keeps (stored names come back through this)."""
    return isinstance(name, str) and (
        name in UNITS
        or (name.startswith(TOKEN_PREFIXES) and 0 < len(name.partition("#")[2]) <= 200)
    )


_current: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar(
    "stepstream_ledger", default=None
)


def current_ledger() -> Ledger | None:
    """The ledger of the run the current code works for, if any."""
    return _current.get()


@contextmanager
def charging(ledger: Ledger | None) -> Iterator[Ledger | None]:
    """Count the AWS requests made inside the block (in this context and the contexts copied
    from it: ``asyncio`` tasks, the engine's I/O threads) into ``ledger``; None counts nothing."""
    token = _current.set(ledger)
    try:
        yield ledger
    finally:
        _current.reset(token)


def record_tokens(model_id: str, input_tokens: int, output_tokens: int) -> None:
    """Add model tokens to the current run's ledger: for a model call the library's clients do
    not see the usage of (a ``ConverseStream``, whose usage arrives in its last event, or
    another provider's SDK). Outside a run it does nothing."""
    ledger = _current.get()
    if ledger is None:
        return
    ledger.add(f"bedrock_input_tokens#{model_id}", int(input_tokens))
    ledger.add(f"bedrock_output_tokens#{model_id}", int(output_tokens))
