"""The realtime table over moto: subscriptions, seq blocks and history."""

from __future__ import annotations

import time

import pytest

from stepstream.local import Provisioned
from stepstream.store import ConnectionStore
from stepstream.store._subscriptions import MAX_CONNECTION_SECONDS


def _later(seconds: int = 600) -> int:
    return int(time.time()) + seconds


def test_add_merges_topics_and_indexes_by_channel(aws: Provisioned) -> None:
    store = ConnectionStore()
    store.add("c1", "ai:1", ["tokens"], expires_at=_later())
    store.add("c1", "ai:1", ["status"], expires_at=_later())
    store.add("c2", "ai:1", ["result"], expires_at=_later())
    store.add("c1", "global", ["logs"], expires_at=_later())
    subs = {s.connection_id: s for s in store.subscribers("ai:1")}
    assert subs["c1"].topics == frozenset({"tokens", "status"})
    assert subs["c2"].topics == frozenset({"result"})
    assert store.channels_of("c1") == ["ai:1", "global"]
    assert store.subscribers("nobody") == []


def test_expiry_is_capped_at_two_hours_and_expired_subscriptions_are_skipped(
    aws: Provisioned,
) -> None:
    store = ConnectionStore()
    store.add("c1", "ch", ["t"], expires_at=_later(10 * 3600))
    (sub,) = store.subscribers("ch")
    assert sub.expires_at <= time.time() + MAX_CONNECTION_SECONDS + 1
    store.add("old", "ch2", ["t"], expires_at=int(time.time()) - 1)
    assert store.subscribers("ch2") == []


def test_remove_topics_then_connection(aws: Provisioned) -> None:
    store = ConnectionStore()
    store.add("c1", "a", ["x", "y"], expires_at=_later())
    store.add("c1", "b", ["x"], expires_at=_later())
    store.remove_topics("c1", ["x"])  # every channel of the socket
    assert [s.topics for s in store.subscribers("a")] == [frozenset({"y"})]
    assert store.subscribers("b") == []
    assert store.channels_of("c1") == ["a"]
    store.remove_topics("c1", ["y"], channel="not-subscribed")  # harmless
    store.remove_connection("c1")
    assert store.subscribers("a") == []
    assert store.channels_of("c1") == []
    store.remove_connection("never-existed")


def test_seq_blocks_are_disjoint_and_increasing(aws: Provisioned) -> None:
    store = ConnectionStore()
    first = store.allocate_seq("ch", 8)
    second = store.allocate_seq("ch", 16)
    other = store.allocate_seq("other", 4)
    assert len(first) == 8
    assert list(second) == list(range(first.stop, first.stop + 16))
    assert len(other) == 4


def test_history_is_kept_in_seq_order_and_read_after_a_seq(aws: Provisioned) -> None:
    store = ConnectionStore()
    frames = [{"kind": "data", "seq": n, "id": f"m{n}", "data": n / 2} for n in range(1, 41)]
    store.keep("ch", list(reversed(frames)), ttl=_later())
    assert [f["seq"] for f in store.history("ch", after_seq=0)] == list(range(1, 41))
    assert [f["seq"] for f in store.history("ch", after_seq=37)] == [38, 39, 40]
    assert [f["seq"] for f in store.history("ch", after_seq=10, limit=3)] == [11, 12, 13]
    assert store.history("ch", after_seq=0)[1]["data"] == 1.0
    store.keep("ch", [{"kind": "data", "seq": 41, "id": "gone"}], ttl=int(time.time()) - 5)
    assert store.history("ch", after_seq=40) == []  # past its ttl though TTL has not run yet


def test_keep_once_keeps_a_message_id_once(aws: Provisioned) -> None:
    store = ConnectionStore()
    frame = {"kind": "data", "seq": 5, "id": "run1:step", "data": "first"}
    assert store.keep_once("ch", frame, ttl=_later()) == frame
    retry = {"kind": "data", "seq": 9, "id": "run1:step", "data": "first"}
    assert store.keep_once("ch", retry, ttl=_later()) == frame  # the original seq comes back
    assert [f["seq"] for f in store.history("ch", after_seq=0)] == [5]


def test_keep_once_raises_a_transaction_conflict_instead_of_guessing(aws: Provisioned) -> None:
    # botocore's Stubber: moto never produces TransactionConflict, which DynamoDB does under load
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    from stepstream import aws as _aws

    store = ConnectionStore()
    with Stubber(_aws.client("dynamodb")) as stub:
        stub.add_client_error(
            "transact_write_items",
            service_error_code="TransactionCanceledException",
            http_status_code=400,
            response_meta={},
            modeled_fields={
                "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]
            },
        )
        frame = {"kind": "data", "seq": 1, "id": "run:step", "data": 1}
        with pytest.raises(ClientError, match="TransactionCanceledException"):
            store.keep_once("ch", frame, ttl=_later())
        stub.assert_no_pending_responses()
