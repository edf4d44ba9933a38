"""GIVEN frames as a resumed socket may deliver them (repeated ids, repeated run frames, and two
publishers' seqs interleaved)
WHEN tail decides what to print
THEN each message is printed once and pings, pongs and garbage print nothing."""

from __future__ import annotations

import io
import json

from stepstream.local._cli_http import ApiClient, Target
from stepstream.local._cli_tail import SEEN_IDS, Tail, _backoff


def _tail(since: int | None = None) -> tuple[Tail, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    api = ApiClient(Target.resolve("http://127.0.0.1:9", None, None))
    api.close()
    return Tail(api, "ch", ["t"], since=since, out=out, err=err), out, err


def _data(seq: int, message_id: str | None = None) -> str:
    frame = {"kind": "data", "channel": "ch", "topic": "t", "data": seq, "seq": seq}
    return json.dumps({**frame, "id": message_id or f"m{seq}"})


def test_replayed_messages_and_repeated_ids_print_once() -> None:
    tail, out, _ = _tail(since=2)
    for raw in [_data(3), _data(3), _data(4), _data(4)]:
        tail._show(raw)
    run = json.dumps(
        {"kind": "run", "channel": "ch", "id": "r1:completed", "data": {"status": "completed"}}
    )
    tail._show(run)
    tail._show(run)
    lines = out.getvalue().splitlines()
    assert [line.split()[-1] for line in lines[:2]] == ["3", "4"]
    assert len(lines) == 3
    assert "completed" in lines[2]
    assert tail.last_seq == 4


def test_two_publishers_interleaving_lose_nothing() -> None:
    # GIVEN two publishers on one channel, each with its own seq block (65.. and 12..)
    tail, out, _ = _tail()
    # WHEN their messages arrive interleaved, a lower seq after a higher one, one repeated
    for raw in [
        _data(65, "a1"),
        _data(12, "b1"),
        _data(66, "a2"),
        _data(13, "b2"),
        _data(12, "b1"),
    ]:
        tail._show(raw)
    # THEN every new id is printed once, and the resume point is the highest seq seen
    assert [line.split()[-1] for line in out.getvalue().splitlines()] == ["65", "12", "66", "13"]
    assert tail.last_seq == 66


def test_remembered_ids_are_bounded() -> None:
    tail, out, _ = _tail()
    for n in range(SEEN_IDS + 10):
        tail._show(_data(n + 1))
    assert len(tail._seen_ids) == SEEN_IDS
    tail._show(_data(1))  # forgotten long ago: printed again rather than remembered forever
    tail._show(_data(SEEN_IDS + 10))  # recent: still dropped
    assert len(out.getvalue().splitlines()) == SEEN_IDS + 11


def test_pings_errors_and_garbage_are_not_messages() -> None:
    tail, out, err = _tail()
    for raw in ['{"kind":"ping"}', '{"kind":"pong"}', "not json", "[1,2]"]:
        tail._show(raw)
    tail._show(json.dumps({"kind": "error", "data": {"code": "bad", "message": "nope"}}))
    assert out.getvalue() == ""
    assert "not JSON" in err.getvalue()
    assert "nope" in err.getvalue()


def test_connect_url_carries_token_and_since() -> None:
    tail, _, _ = _tail(since=7)
    url = tail._connect_url("a.b.c")
    assert url == "ws://127.0.0.1:9/v1/realtime/connect?token=a.b.c&since=7"


def test_backoff_is_capped_and_jittered() -> None:
    assert _backoff(1, rand=lambda: 1.0) == 0.5
    assert _backoff(30, rand=lambda: 1.0) == 10.0
    assert _backoff(30, rand=lambda: 0.0) == 0.0
