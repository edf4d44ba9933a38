"""GIVEN a coalescing lane with a linger, WHEN frames arrive after a post, THEN the lane waits the
linger for more and sends them in one ``batch`` (a plain lane never waits), a queue that already
fills a billing unit goes at once, order and completeness hold, and a bad linger setting is
refused wherever it is given."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from stepstream.config import Settings
from stepstream.realtime import Realtime
from stepstream.realtime._fanout import Fanout
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

    def allocate_seq(self, channel: str, count: int) -> range:
        raise AssertionError("these tests publish nothing through Realtime")


class _Poster:
    """Records each connection's posts with the time they were made."""

    def __init__(self, delay: float = 0.0) -> None:
        self.posts: dict[str, list[tuple[float, bytes]]] = {}
        self.delay = delay
        self._lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> bool:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.posts.setdefault(connection_id, []).append((time.monotonic(), data))
        return True

    def count(self, connection_id: str) -> int:
        with self._lock:
            return len(self.posts.get(connection_id, []))


def _subscriptions() -> list[Subscription]:
    return [
        Subscription("ours", "ch", frozenset({"t"}), expires_at=2**40, coalesce=True),
        Subscription("plain", "ch", frozenset({"t"}), expires_at=2**40),
    ]


def _frame(n: int, size: int = 10) -> dict[str, Any]:
    return {"kind": "data", "channel": "ch", "topic": "t", "data": "x" * size, "seq": n, "id": n}


def _seqs(posts: list[tuple[float, bytes]]) -> list[int]:
    out: list[int] = []
    for _, raw in posts:
        frame = json.loads(raw)
        out.extend(f["seq"] for f in (frame["data"] if frame["kind"] == "batch" else [frame]))
    return out


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_lane_that_just_posted_waits_the_linger_and_sends_what_came_in_one_batch() -> None:
    linger = 2.0
    poster = _Poster()
    fanout = Fanout(_Store(_subscriptions()), lambda: poster, workers=4, linger=linger)
    # WHEN a first frame goes out (an idle lane posts at once) and nine follow right after
    fanout.submit("ch", _frame(0), topic="t", keep_until=None)
    _wait_for(lambda: poster.count("ours") == 1 and poster.count("plain") == 1)
    for n in range(1, 10):
        fanout.submit("ch", _frame(n), topic="t", keep_until=None)
    fanout.flush(timeout=60)
    fanout.close()
    # THEN the coalescing lane sent them as one batch, no sooner than the linger after the first
    ours = poster.posts["ours"]
    assert _seqs(ours) == list(range(10))
    assert len(ours) == 2
    assert json.loads(ours[1][1])["kind"] == "batch"
    assert ours[1][0] - ours[0][0] >= linger * 0.99
    # AND the plain lane never coalesces: one post per frame, in order
    assert _seqs(poster.posts["plain"]) == list(range(10))
    assert len(poster.posts["plain"]) == 10


def test_frames_that_fill_a_billing_unit_do_not_wait_for_the_linger() -> None:
    # GIVEN a linger longer than the flush below is willing to wait
    poster = _Poster()
    fanout = Fanout(_Store(_subscriptions()[:1]), lambda: poster, workers=2, linger=120.0)
    fanout.submit("ch", _frame(0), topic="t", keep_until=None)
    _wait_for(lambda: poster.count("ours") == 1)
    # WHEN frames come that each fill a 32 KB unit on their own
    for n in range(1, 4):
        fanout.submit("ch", _frame(n, size=40_000), topic="t", keep_until=None)
    # THEN they go out without the linger, each alone, in order
    fanout.flush(timeout=60)
    fanout.close()
    assert _seqs(poster.posts["ours"]) == [0, 1, 2, 3]
    assert [json.loads(raw)["kind"] for _, raw in poster.posts["ours"]] == ["data"] * 4


def test_a_stream_through_a_lingering_lane_arrives_whole_and_in_order() -> None:
    poster = _Poster(delay=0.002)
    fanout = Fanout(_Store(_subscriptions()), lambda: poster, workers=4, linger=0.01)
    for n in range(300):
        fanout.submit("ch", _frame(n), topic="t", keep_until=None)
        if n % 7 == 0:
            time.sleep(0.003)
    fanout.flush(timeout=60)
    fanout.close()
    assert _seqs(poster.posts["ours"]) == list(range(300))
    assert _seqs(poster.posts["plain"]) == list(range(300))


@pytest.mark.parametrize("value", [-1.0, math.nan])
def test_the_fanout_refuses_a_bad_linger(value: float) -> None:
    with pytest.raises(ValueError, match="linger must be a non-negative number"):
        Fanout(_Store([]), lambda: _Poster(), linger=value)


@pytest.mark.parametrize("value", [-1, 1001, math.nan, True, "10"])
def test_realtime_refuses_a_bad_linger_ms(value: Any) -> None:
    with pytest.raises(ValueError, match="linger_ms must be a number of milliseconds"):
        Realtime("app", store=_Store([]), poster=_Poster(), linger_ms=value)  # type: ignore[arg-type]


def test_realtime_takes_the_linger_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_COALESCE_LINGER_MS", "80")
    realtime = Realtime("app", store=_Store([]), poster=_Poster())  # type: ignore[arg-type]
    assert realtime.linger_ms == 80.0
    assert Realtime("app", store=_Store([]), poster=_Poster(), linger_ms=5).linger_ms == 5.0  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "wanted"), [("", 0.0), ("0", 0.0), ("80", 80.0), ("12.5", 12.5)])
def test_the_linger_setting(raw: str, wanted: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_COALESCE_LINGER_MS", raw)
    assert Settings.from_env().coalesce_linger_ms == wanted


@pytest.mark.parametrize("raw", ["-5", "1001", "nan", "soon", "inf"])
def test_a_bad_linger_setting_is_refused(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_COALESCE_LINGER_MS", raw)
    with pytest.raises(ValueError, match="STEPSTREAM_COALESCE_LINGER_MS"):
        Settings.from_env()
