"""GIVEN a channel that published 20 messages, and a client holding ``since=20``
WHEN the realtime store loses the channel's counter (``make dev`` restarted with a fresh local
AWS, or the ``SEQ#`` item expired or was deleted on AWS)
THEN the channel's next seqs are still above 20, so the client's resume misses nothing."""

from __future__ import annotations

from stepstream import aws as _aws
from stepstream.config import Settings
from stepstream.local import Provisioned
from stepstream.realtime._seq import SeqAllocator
from stepstream.store import ConnectionStore


def _forget_counter(channel: str) -> None:
    _aws.client("dynamodb").delete_item(
        TableName=Settings.from_env().realtime_table,
        Key={"pk": {"S": f"SEQ#{channel}"}, "sk": {"S": "SEQ"}},
    )


def test_seqs_never_go_back_after_the_counter_is_lost(aws: Provisioned) -> None:
    store = ConnectionStore()
    before = SeqAllocator(store.allocate_seq)
    sent = [before.take("run-1") for _ in range(20)]
    since = max(sent)
    _forget_counter("run-1")
    after = SeqAllocator(store.allocate_seq)  # a new process: no block in memory
    resumed = [after.take("run-1") for _ in range(5)]
    assert min(resumed) > since
    assert resumed == sorted(set(resumed))


def test_a_new_channel_still_counts_up_from_its_first_seq(aws: Provisioned) -> None:
    store = ConnectionStore()
    first, second = store.allocate_seq("fresh", 8), store.allocate_seq("fresh", 4)
    assert len(first) == 8
    assert list(second) == list(range(first.stop, first.stop + 4))
