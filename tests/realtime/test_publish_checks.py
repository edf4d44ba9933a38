"""What publish refuses before anything is sent, and how seqs are handed out (no sockets)."""

from __future__ import annotations

import threading
import time

import pytest

from stepstream import PayloadTooLargeError
from stepstream import aws as _aws
from stepstream.local import Provisioned
from stepstream.realtime import PublishValidationError, Realtime, channel, topic
from stepstream.realtime._seq import MAX_BLOCK, SeqAllocator
from stepstream.store import ConnectionStore
from stepstream.store._history import seq_key

ch = channel("checks").add_topic(topic("any")).add_topic(topic("n").type(float))()


@pytest.fixture
def realtime(aws: Provisioned) -> Realtime:
    return Realtime("checks", cache_seconds=0)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"x": [float("-inf")]}])
async def test_non_json_numbers_are_refused(realtime: Realtime, value: object) -> None:
    with pytest.raises(PublishValidationError, match="'checks'"):
        await realtime.publish(ch.any, value)


async def test_the_size_limit_counts_the_whole_frame(realtime: Realtime) -> None:
    with pytest.raises(PayloadTooLargeError, match="at most 131072 bytes"):
        await realtime.publish(ch.any, "é" * 70_000)  # 140 KB of UTF-8, 70k characters
    frame = await realtime.publish(ch.any, "x" * 130_000)
    assert frame["data"] == "x" * 130_000
    realtime.close()


async def test_publish_takes_a_topic_reference(realtime: Realtime) -> None:
    with pytest.raises(TypeError, match="topic reference"):
        await realtime.publish("checks.any", 1)  # type: ignore[arg-type]
    realtime.close()


def test_seq_blocks_grow_and_stay_unique_across_threads(aws: Provisioned) -> None:
    # GIVEN two publishers (processes) sharing a channel through the table
    store = ConnectionStore(on_request=lambda operation: requests.append(operation))
    requests: list[str] = []
    first, second = SeqAllocator(store.allocate_seq), SeqAllocator(store.allocate_seq)
    taken: list[int] = []
    lock = threading.Lock()

    def publish_many(allocator: SeqAllocator) -> None:
        for _ in range(600):
            seq = allocator.take("shared")
            with lock:
                taken.append(seq)

    # WHEN each hands out 600 seqs from its own threads
    threads = [threading.Thread(target=publish_many, args=(a,)) for a in (first, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN no seq is handed out twice, and blocks grew so requests stayed few
    assert len(taken) == len(set(taken)) == 1800
    assert requests.count("UpdateItem") <= 2 * (5 + 1800 // MAX_BLOCK)
    assert max(taken) - min(taken) < 1800 + 2 * MAX_BLOCK  # unused block tails are the only gaps


def test_a_thawed_publisher_never_goes_back_below_another_one(aws: Provisioned) -> None:
    # GIVEN container A that published a little and then froze (its invocation flushed)
    store = ConnectionStore()
    a, b = SeqAllocator(store.allocate_seq), SeqAllocator(store.allocate_seq)
    first = [a.take("run-channel") for _ in range(3)]
    a.release()
    # WHEN container B serves the next invocation, then A serves the one after
    middle = [b.take("run-channel") for _ in range(3)]
    b.release()
    last = [a.take("run-channel") for _ in range(3)]
    # THEN the channel's seqs only go up
    seqs = first + middle + last
    assert seqs == sorted(set(seqs))


def test_seqs_of_one_allocator_strictly_increase(aws: Provisioned) -> None:
    allocator = SeqAllocator(ConnectionStore().allocate_seq)
    seqs = [allocator.take("c") for _ in range(100)]
    assert seqs == sorted(set(seqs))
    assert allocator.ready("c")
    assert not allocator.ready("other")


@pytest.mark.parametrize("value", ["soon", "-5"])
def test_a_bad_retention_setting_is_named(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STEPSTREAM_HISTORY_RETENTION_SECONDS", value)
    with pytest.raises(ValueError, match="STEPSTREAM_HISTORY_RETENTION_SECONDS"):
        Realtime("checks")


async def test_retention_setting_sets_the_history_ttl(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_HISTORY_RETENTION_SECONDS", "120")
    realtime = Realtime("checks")
    kept = channel("ttl").add_topic(topic("t", history=True))()
    frame = await realtime.publish(kept.t, 1)
    await realtime.flush()
    realtime.close()
    assert ConnectionStore().history("ttl", after_seq=0) == [frame]
    item = _aws.client("dynamodb").get_item(
        TableName=ConnectionStore().table,
        Key={"pk": {"S": "HIST#ttl"}, "sk": {"S": seq_key(frame["seq"])}},
    )["Item"]
    assert 100 <= int(item["ttl"]["N"]) - time.time() <= 121
