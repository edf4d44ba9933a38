"""The step memo and the memoization check, in one place.

For every step call: look up the step's hash; a final record returns its output (or raises its
``StepError``) without running anything; otherwise the step is new and ``run_new`` runs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .._errors import StepError
from .._states import StepStatus
from ..store import StepRecord
from . import _serde
from ._ids import step_hash


class Memo:
    """The step records of one run, loaded once per invocation, plus the per-invocation counts
    that turn repeated ids into ``id``, ``id:1``, ``id:2``, ..."""

    def __init__(
        self,
        records: list[StepRecord],
        load_output: Callable[[StepRecord], Awaitable[str | None]],
    ) -> None:
        self._records = {r.hash: r for r in records}
        self._load_output = load_output
        self._seen: dict[str, int] = {}
        self._ids: dict[str, str] = {}
        # Every stored record, final or pending: until the run reaches them all (or a new step),
        # what it does was done before.
        self._unvisited = {r.hash for r in records}
        self._reached_new = False

    def identify(self, step_id: str) -> tuple[str, str]:
        """``(id_with_suffix, hash)`` for the next use of ``step_id`` in call order."""
        n = self._seen.get(step_id, 0)
        self._seen[step_id] = n + 1
        full = step_id if n == 0 else f"{step_id}:{n}"
        hash_ = step_hash(full)
        self._ids[hash_] = full
        return full, hash_

    def id_of(self, hash_: str) -> str:
        """The id (with its suffix) a step hash was made from in this invocation."""
        return self._ids.get(hash_, hash_)

    def get(self, hash_: str) -> StepRecord | None:
        return self._records.get(hash_)

    def remember(self, record: StepRecord) -> None:
        self._records[record.hash] = record

    @property
    def replaying(self) -> bool:
        """True until the function reaches a step that is not final in the memo, or has
        consumed every stored record."""
        return not self._reached_new and bool(self._unvisited)

    def mark_new(self) -> None:
        self._reached_new = True

    async def result(self, record: StepRecord) -> Any:
        """The stored outcome of a final record: its output (fetched if it was offloaded), or
        its ``StepError`` raised."""
        self._unvisited.discard(record.hash)
        if record.status == StepStatus.ERROR:
            error = record.error or {}
            raise StepError(
                record.id,
                str(error.get("name", "Error")),
                str(error.get("message", "")),
                error.get("stack"),
            )
        return _serde.decode(await self._load_output(record), record.output_type)

    @property
    def records(self) -> list[StepRecord]:
        return list(self._records.values())


async def memoized(
    memo: Memo,
    hash_: str,
    before_new: Callable[[], None],
    run_new: Callable[[StepRecord | None], Awaitable[StepRecord]],
) -> Any:
    """The memoization check. ``run_new`` gets the pending record (a retry, sleep or wait that
    is not final yet) or None, and returns the record that ends up stored for the step."""
    record = memo.get(hash_)
    if record is not None and record.final:
        return await memo.result(record)
    before_new()
    stored = await run_new(record)
    memo.remember(stored)
    return await memo.result(stored)
