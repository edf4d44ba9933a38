"""GIVEN a dev stack
WHEN a user mints a token, and tails a channel while a function publishes to it
THEN token prints a JWT for exactly that channel; tail prints the published message as a
readable line (or raw JSON with --json) and Ctrl-C ends it with exit 0."""

from __future__ import annotations

import base64
import json

from tests.support.devprocess import DevProcess

from .cli_support import TailProcess, run_cli


def _claims(jwt: str) -> dict[str, object]:
    payload = jwt.split(".")[1]
    claims: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_token_prints_a_jwt_for_the_channel(stack: DevProcess) -> None:
    result = run_cli("token", "ai:run-1", "--topics", "status,tokens", url=stack.url)
    assert result.code == 0, result.err
    jwt = result.out.strip()
    assert jwt.count(".") == 2
    claims = _claims(jwt)
    assert claims["channel"] == "ai:run-1"
    assert claims["topics"] == ["status", "tokens"]

    as_json = json.loads(run_cli("token", "c", "--topics", "t", "--json", url=stack.url).out)
    assert as_json["url"].startswith("ws://127.0.0.1:")
    assert "/v1/realtime/connect?token=" in as_json["url"]


def test_token_with_wrong_signing_key_fails(stack: DevProcess) -> None:
    result = run_cli(
        "token", "c", "--topics", "t", "--signing-key", "signkey-dev-ab", url=stack.url
    )
    assert result.code == 1
    assert "401" in result.err


def test_tail_prints_what_a_run_publishes_and_ctrl_c_exits_0(stack: DevProcess) -> None:
    tail = TailProcess("devstack-progress", "--topics", "progress", "--url", stack.url)
    try:
        tail.expect(tail.err, "following devstack-progress")
        sent = run_cli("send", "test/echo", "--data", '{"n": 7}', url=stack.url)
        assert sent.code == 0
        line = tail.expect(tail.out, '"doubled":14')
        # time, topic, seq, then the compact data
        assert line.split()[1] == "progress"
        assert line.split()[2].startswith("#")
    finally:
        code = tail.stop()
    assert code == 0


def test_tail_json_prints_raw_frames(stack: DevProcess) -> None:
    tail = TailProcess("devstack-progress", "--topics", "progress", "--json", "--url", stack.url)
    try:
        tail.expect(tail.err, "following")
        run_cli("send", "test/echo", "--data", '{"n": 8}', url=stack.url)
        frame = json.loads(tail.expect(tail.out, '"doubled":16'))
    finally:
        tail.stop()
    assert frame["kind"] == "data"
    assert frame["channel"] == "devstack-progress"
    assert frame["topic"] == "progress"
    assert frame["data"]["doubled"] == 16
    assert isinstance(frame["seq"], int)
