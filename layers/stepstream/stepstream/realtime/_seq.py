"""Per-channel sequence numbers, reserved from DynamoDB a block at a time.

A token stream publishes hundreds of messages a second on one channel; one ``UpdateItem`` per
message would cost more than the messages. Each process reserves a block of seqs with one
``ADD`` and hands them out from memory; blocks grow (8, 16, ... 256) while a channel keeps
publishing, so a short burst wastes little and a long stream costs about one request per 256
messages. Seqs left in a block when the process ends are never used: seqs are strictly
increasing and unique, not contiguous.

Blocks are dropped at the end of every Lambda invocation (``Realtime.flush`` calls
:meth:`SeqAllocator.release`) and after ``IDLE_SECONDS`` unused. Otherwise a container that
froze holding 11..64 and is thawed for a later invocation of the same run would hand out 11
after another container had already sent 65: the channel's seqs would go backwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FIRST_BLOCK = 8
MAX_BLOCK = 256
IDLE_SECONDS = 5.0


@dataclass
class _Block:
    next: int
    end: int  # exclusive
    size: int
    used_at: float


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
        return block is not None and block.next < block.end and not self._idle(block)

    def _idle(self, block: _Block) -> bool:
        return time.monotonic() - block.used_at > IDLE_SECONDS

    def release(self) -> None:
        """Forget every block: the next seq of each channel comes from a new reservation."""
        with self._lock:
            self._blocks.clear()

    def take(self, channel: str) -> int:
        with self._lock:
            block = self._blocks.get(channel)
            if block is None or block.next >= block.end or self._idle(block):
                grow = block is not None and not self._idle(block)
                size = min(block.size * 2, self._max) if block and grow else self._first
                reserved = self._reserve(channel, size)
                block = _Block(reserved.start, reserved.stop, size, time.monotonic())
                self._blocks[channel] = block
            seq = block.next
            block.next += 1
            block.used_at = time.monotonic()
            return seq
