"""GIVEN a poster as slow as API Gateway, WHEN frames queue in a connection's lane, THEN a
connection that asked for coalesced frames gets them in few ``batch`` posts of at most one 32 KB
billing unit, in order, and one that did not gets one post per frame; the packing itself keeps
order and never wraps a lone frame."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from stepstream.realtime._fanout import Fanout
from stepstream.realtime._frames import (
    COALESCE_BUDGET_BYTES,
    coalesce,
    dumps,
    wants_coalescing,
)
from stepstream.store import Subscription


class _Store:
    def __init__(self, subscriptions: list[Subscription]) -> None:
        self.subscriptions = subscriptions

    def subscribers(self, channel: str) -> list[Subscription]:
        return self.subscriptions

    def remove_connection(self, connection_id: str) -> None:
        pass

    def keep(self, channel: str, frames: Sequence[dict[str, Any]], *, ttl: int) -> None:
        pass


class _SlowPoster:
    """Takes 20 ms per post, like an HTTPS round trip; records what each connection got."""

    def __init__(self) -> None:
        self.posts: dict[str, list[bytes]] = {}
        self._lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> bool:
        time.sleep(0.02)
        with self._lock:
            self.posts.setdefault(connection_id, []).append(data)
        return True


def _frames_in(posts: list[bytes]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for raw in posts:
        frame = json.loads(raw)
        out.extend(frame["data"] if frame["kind"] == "batch" else [frame])
    return out


def test_a_coalescing_lane_batches_what_queued_and_a_plain_one_does_not() -> None:
    # GIVEN one subscriber that asked for coalesced frames and one that did not
    subscriptions = [
        Subscription("ours", "ch", frozenset({"t"}), expires_at=2**40, coalesce=True),
        Subscription("plain", "ch", frozenset({"t"}), expires_at=2**40),
    ]
    poster = _SlowPoster()
    fanout = Fanout(_Store(subscriptions), lambda: poster, workers=4)
    # WHEN 100 frames are submitted at once
    for n in range(100):
        frame = {"kind": "data", "channel": "ch", "topic": "t", "data": n, "seq": n + 1}
        fanout.submit("ch", frame, topic="t", keep_until=None)
    fanout.flush(timeout=30)
    fanout.close()
    # THEN both got all 100 in order
    for connection_id in ("ours", "plain"):
        assert [f["data"] for f in _frames_in(poster.posts[connection_id])] == list(range(100))
    # AND the plain one got one post each, the coalescing one a handful of batches
    assert len(poster.posts["plain"]) == 100
    assert all(json.loads(p)["kind"] == "data" for p in poster.posts["plain"])
    assert len(poster.posts["ours"]) <= 5
    assert all(len(p) <= COALESCE_BUDGET_BYTES for p in poster.posts["ours"])


def test_packing_keeps_order_fills_one_billing_unit_and_leaves_a_lone_frame_alone() -> None:
    small = [dumps({"kind": "data", "data": "x" * 1000, "seq": n}).encode() for n in range(100)]
    data, taken = coalesce(small)
    assert 25 <= taken < 100
    assert len(data) <= COALESCE_BUDGET_BYTES
    assert [f["seq"] for f in json.loads(data)["data"]] == list(range(taken))
    # a frame too big to share a unit goes alone, unwrapped, and so does a single one
    big = dumps({"kind": "data", "data": "y" * 100_000, "seq": 0}).encode()
    assert coalesce([big, *small]) == (big, 1)
    assert coalesce([small[0]]) == (small[0], 1)


@pytest.mark.parametrize(("raw", "wanted"), [(None, False), ("", False), ("0", False), ("1", True)])
def test_the_coalesce_parameter(raw: str | None, wanted: bool) -> None:
    assert wants_coalescing(raw) is wanted


@pytest.mark.parametrize("raw", ["yes", "true", "2", "1 ", "01"])
def test_a_malformed_coalesce_parameter_is_an_error(raw: str) -> None:
    with pytest.raises(ValueError, match="coalesce must be 1 or 0"):
        wants_coalescing(raw)
