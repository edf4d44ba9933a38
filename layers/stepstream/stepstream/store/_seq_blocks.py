"""``SEQ#<channel>`` / ``SEQ``: the per-channel message counter, advanced a block at a time
(``realtime._seq`` hands the block's seqs out from memory).

A counter that is created starts at the current time in microseconds, not at 0. Clients resume
with ``since=<the highest seq they saw>``; if the counter were lost (a restarted dev stack with a
fresh local AWS, an item deleted or expired on AWS) and began again at 1, every new message would
sit below their ``since`` and never reach them. Starting from the clock keeps seqs above any the
channel handed out before, as long as it averaged under a million messages a second, and stays
below 2**53 (JavaScript's exact integers) until the year 2255.
"""

from __future__ import annotations

import time

from ._dynamo import _key
from ._realtime_table import RealtimeTable


def seq_floor() -> int:
    """Where a channel's counter starts: now, in microseconds since the epoch."""
    return time.time_ns() // 1000


class SeqBlocks(RealtimeTable):
    """Reserves blocks of per-channel sequence numbers."""

    def allocate_seq(self, channel: str, count: int) -> range:
        """Reserve ``count`` consecutive seqs of ``channel`` with one ``UpdateItem``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        result = self._db("UpdateItem").update_item(
            TableName=self.table,
            Key=_key(f"SEQ#{channel}", "SEQ"),
            UpdateExpression="SET n = if_not_exists(n, :floor) + :count",
            ExpressionAttributeValues={
                ":count": {"N": str(count)},
                ":floor": {"N": str(seq_floor())},
            },
            ReturnValues="UPDATED_NEW",
        )
        last = int(result["Attributes"]["n"]["N"])
        return range(last - count + 1, last + 1)
