"""``SEQ#<channel>`` / ``SEQ``: the per-channel message counter, advanced a block at a time
(``realtime._seq`` hands the block's seqs out from memory)."""

from __future__ import annotations

from ._dynamo import _key
from ._realtime_table import RealtimeTable


class SeqBlocks(RealtimeTable):
    """Reserves blocks of per-channel sequence numbers."""

    def allocate_seq(self, channel: str, count: int) -> range:
        """Reserve ``count`` consecutive seqs of ``channel`` with one ``UpdateItem``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        result = self._db("UpdateItem").update_item(
            TableName=self.table,
            Key=_key(f"SEQ#{channel}", "SEQ"),
            UpdateExpression="ADD n :count",
            ExpressionAttributeValues={":count": {"N": str(count)}},
            ReturnValues="UPDATED_NEW",
        )
        last = int(result["Attributes"]["n"]["N"])
        return range(last - count + 1, last + 1)
