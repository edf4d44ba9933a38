"""The wire protocol's frames: shapes the official client accepts, strict client parsing."""

from __future__ import annotations

import json

import pytest

from stepstream.realtime._frames import (
    PING,
    PONG,
    ClientFrame,
    FrameError,
    data_frame,
    dumps,
    error_frame,
    parse_client_frame,
    run_frame,
)


def test_data_frame_leaves_absent_fields_out() -> None:
    frame = data_frame(channel="c", topic="t", data={"a": None}, seq=3, id="m1")
    text = dumps(frame)
    decoded = json.loads(text)
    assert set(decoded) == {"kind", "channel", "topic", "data", "created_at", "seq", "id"}
    assert decoded["data"] == {"a": None}  # user data keeps its nulls; frame fields never null
    assert decoded["created_at"].endswith("Z")
    assert " " not in text


def test_data_frame_with_run_fields() -> None:
    frame = data_frame(channel="c", topic="t", data=1, seq=1, id="i", run_id="r", fn_id="f")
    assert frame["run_id"] == "r"
    assert frame["fn_id"] == "f"


def test_run_frame_for_the_official_hook() -> None:
    frame = run_frame(channel="c", run_id="r", fn_id="f", status="completed", id="x", output=5)
    assert frame["kind"] == "run"
    assert frame["data"] == {"status": "completed", "output": 5}
    with pytest.raises(ValueError, match="run status"):
        run_frame(channel="c", run_id="r", fn_id="f", status="weird", id="x")


def test_fixed_frames() -> None:
    assert dumps(PING) == '{"kind":"ping"}'
    assert dumps(PONG) == '{"kind":"pong"}'
    assert error_frame("c", "m") == {"kind": "error", "data": {"code": "c", "message": "m"}}


def test_parse_sub_unsub_ping() -> None:
    assert parse_client_frame('{"kind":"ping"}') == ClientFrame("ping")
    sub = parse_client_frame(b'{"kind":"sub","data":"tok","since":4}')
    assert (sub.kind, sub.token, sub.since) == ("sub", "tok", 4)
    unsub = parse_client_frame('{"kind":"unsub","data":["a","a","b"],"channel":"c"}')
    assert (unsub.topics, unsub.channel) == (["a", "b"], "c")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed_json"),
        ("[]", "not_an_object"),
        ('"sub"', "not_an_object"),
        ('{"kind":"publish"}', "unknown_kind"),
        ("{}", "unknown_kind"),
        ('{"kind":"sub"}', "missing_token"),
        ('{"kind":"sub","data":5}', "missing_token"),
        ('{"kind":"sub","data":"t","since":-1}', "bad_since"),
        ('{"kind":"sub","data":"t","since":true}', "bad_since"),
        ('{"kind":"sub","data":"t","since":"3"}', "bad_since"),
        ('{"kind":"unsub","data":[]}', "bad_topics"),
        ('{"kind":"unsub","data":"a"}', "bad_topics"),
        ('{"kind":"unsub","data":[1]}', "bad_topics"),
        ('{"kind":"unsub","data":["a"],"channel":7}', "bad_channel"),
        ('{"kind":"ping","x":NaN}', "malformed_json"),
        (b"\xff\xfe", "not_utf8"),
        ("[" * 100_000 + "]" * 100_000, "frame_too_large"),
        ('{"kind":"unsub","data":' + json.dumps(["t"] * 65) + "}", "bad_topics"),
    ],
)
def test_bad_client_frames_get_a_code(raw: str | bytes, code: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse_client_frame(raw)
    assert caught.value.code == code
    assert caught.value.frame()["kind"] == "error"


def test_deep_nesting_within_the_size_limit_is_malformed_not_a_crash() -> None:
    with pytest.raises(FrameError) as caught:
        parse_client_frame("[" * 30_000 + "]" * 2000, max_bytes=40_000)
    assert caught.value.code in {"malformed_json"}


def test_binary_frames_are_refused() -> None:
    with pytest.raises(FrameError) as caught:
        parse_client_frame(b'{"kind":"ping"}', binary=True)
    assert caught.value.code == "binary_frame"
