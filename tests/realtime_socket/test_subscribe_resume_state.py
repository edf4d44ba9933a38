"""GIVEN messages as a resumed socket may deliver them (repeats, two publishers' interleaved
seqs), WHEN ``subscribe``'s resume state judges them THEN each id passes once, the resume point
is the highest seq, memory is bounded; the reconnect URL carries the token and ``since``; the
backoff is capped and jittered; and a message turns back into the frame it came from."""

from __future__ import annotations

import json

from stepstream.realtime import Message
from stepstream.realtime._subscribe import Resume, _accept, _connect_url, backoff


def data(seq: int, message_id: str | None = None) -> Message:
    return Message.from_frame(
        {
            "kind": "data",
            "channel": "ch",
            "topic": "t",
            "data": seq,
            "seq": seq,
            "id": message_id or f"m{seq}",
        }
    )


def test_repeated_ids_pass_once_and_the_resume_point_is_the_highest_seq() -> None:
    resume = Resume(since=2)
    passed = [m.seq for m in [data(3), data(3), data(4), data(4)] if resume.is_new(m)]
    assert passed == [3, 4]
    assert resume.since == 4


def test_two_publishers_interleaving_lose_nothing() -> None:
    resume = Resume()
    arriving = [data(65, "a1"), data(12, "b1"), data(66, "a2"), data(13, "b2"), data(12, "b1")]
    assert [m.seq for m in arriving if resume.is_new(m)] == [65, 12, 66, 13]
    assert resume.since == 66


def test_remembered_ids_are_bounded() -> None:
    resume = Resume(remember=100)
    assert all(resume.is_new(data(n)) for n in range(1, 111))
    assert len(resume.seen) == 100
    assert resume.is_new(data(1))  # forgotten long ago: passed again rather than kept forever
    assert not resume.is_new(data(110))  # recent: still dropped


def test_only_this_subscriptions_data_and_run_frames_are_messages() -> None:
    notices: list[str] = []
    frames = [
        '{"kind":"ping"}',
        '{"kind":"pong"}',
        "not json",
        "[1,2]",
        json.dumps({"kind": "error", "data": {"message": "nope"}}),
        json.dumps({"kind": "data", "channel": "other", "topic": "t", "data": 1}),
        json.dumps({"kind": "data", "channel": "ch", "topic": "other", "data": 1}),
    ]
    assert [_accept(f, "ch", frozenset({"t"}), notices.append) for f in frames] == [[]] * 7
    assert len(notices) == 2
    assert "not JSON" in notices[0]
    assert "nope" in notices[1]


def test_connect_url_carries_token_coalesce_and_since() -> None:
    url = _connect_url("ws://127.0.0.1:9/v1/realtime/connect", "a.b.c", 7)
    assert url == "ws://127.0.0.1:9/v1/realtime/connect?token=a.b.c&coalesce=1&since=7"


def test_a_batch_frame_yields_its_messages_in_order_filtered_like_single_frames() -> None:
    # GIVEN a batch: two wanted frames around a ping and another topic's frame
    inner = [
        {"kind": "data", "channel": "ch", "topic": "t", "data": 1, "seq": 1, "id": "a"},
        {"kind": "ping"},
        {"kind": "data", "channel": "ch", "topic": "other", "data": 9, "seq": 2, "id": "x"},
        {"kind": "data", "channel": "ch", "topic": "t", "data": 3, "seq": 3, "id": "b"},
    ]
    raw = json.dumps({"kind": "batch", "data": inner})
    # WHEN it is read THEN the wanted messages come out in the order sent
    assert [m.data for m in _accept(raw, "ch", frozenset({"t"}))] == [1, 3]


def test_a_batch_without_a_list_is_reported_not_delivered() -> None:
    notices: list[str] = []
    assert _accept('{"kind":"batch","data":{"a":1}}', "ch", frozenset({"t"}), notices.append) == []
    assert "batch" in notices[0]


def test_a_repeat_inside_a_batch_passes_once() -> None:
    # GIVEN a resume that already delivered seq 3, then a batch repeating it among new ones
    resume = Resume()
    assert resume.is_new(data(3))
    raw = json.dumps({"kind": "batch", "data": [data(n).to_frame() for n in (3, 4, 5)]})
    # THEN only the new ones pass, and the resume point moves to the batch's last seq
    assert [m.seq for m in _accept(raw, "ch", frozenset({"t"})) if resume.is_new(m)] == [4, 5]
    assert resume.since == 5


def test_backoff_is_capped_and_jittered() -> None:
    assert backoff(1, 10.0, rand=lambda: 1.0) == 0.1
    assert backoff(30, 10.0, rand=lambda: 1.0) == 10.0
    assert backoff(30, 10.0, rand=lambda: 0.0) == 5.0


def test_a_message_turns_back_into_its_frame() -> None:
    frame = {
        "kind": "run",
        "channel": "ch",
        "run_id": "r1",
        "fn_id": "f",
        "created_at": "2026-01-01T00:00:00.000Z",
        "data": {"status": "completed"},
        "id": "r1:completed",
    }
    assert Message.from_frame(frame).to_frame() == frame
