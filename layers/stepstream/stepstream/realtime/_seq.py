"""Per-channel sequence numbers, reserved from DynamoDB a block at a time.

A token stream publishes hundreds of messages a second on one channel; one ``UpdateItem`` per
message would cost more than the messages. Each process reserves a block of seqs with one
``ADD`` and hands them out from memory; blocks grow (8, 16, ... 256) while a channel keeps
publishing, so a short burst wastes little and a long stream costs about one request per 256
messages. Seqs left in a block when the process ends are never used: seqs are strictly
increasing and unique, not contiguous.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

FIRST_BLOCK = 8
MAX_BLOCK = 256


@dataclass
class _Block:
    next: int
    end: int  # exclusive
    size: int


class SeqAllocator:
    """Hands out seqs per channel; ``reserve(channel, n)`` is the one call that does I/O."""

    def __init__(
        self,
        reserve: Callable[[str, int], range],
        *,
        first_block: int = FIRST_BLOCK,
        max_block: int = MAX_BLOCK,
    ) -> None:
        self._reserve = reserve
        self._first = first_block
        self._max = max_block
        self._blocks: dict[str, _Block] = {}
        self._lock = threading.Lock()

    def ready(self, channel: str) -> bool:
        """Whether :meth:`take` can answer without reserving a new block."""
        block = self._blocks.get(channel)
        return block is not None and block.next < block.end

    def take(self, channel: str) -> int:
        with self._lock:
            block = self._blocks.get(channel)
            if block is None or block.next >= block.end:
                size = self._first if block is None else min(block.size * 2, self._max)
                reserved = self._reserve(channel, size)
                block = _Block(reserved.start, reserved.stop, size)
                self._blocks[channel] = block
            seq = block.next
            block.next += 1
            return seq
