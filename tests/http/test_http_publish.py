"""GIVEN the API WHEN ``POST /v1/realtime/publish`` is called badly THEN it answers a clear 4xx and
publishes nothing; a good call answers what it published (delivery: tests/realtime_socket)."""

from __future__ import annotations

import httpx
import pytest

from ._http_support import AUTH

URL = "/v1/realtime/publish"


def test_a_json_body_is_published_on_each_named_topic(shared_client: httpx.Client) -> None:
    response = shared_client.post(
        URL,
        params=[("channel", "c:1"), ("topic", "a"), ("topic", "b")],
        json={"n": 1},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["channel"] == "c:1"
    assert [m["topic"] for m in body["messages"]] == ["a", "b"]
    assert body["messages"][0]["seq"] < body["messages"][1]["seq"]


def test_a_plain_text_body_is_a_string_as_inngest_js_sends_it(shared_client: httpx.Client) -> None:
    response = shared_client.post(
        URL, params={"channel": "c:1", "topic": "a"}, content=b"hello there", headers=AUTH
    )
    assert response.status_code == 200, response.text


def test_without_the_signing_key_it_is_refused(shared_client: httpx.Client) -> None:
    response = shared_client.post(URL, params={"channel": "c", "topic": "t"}, json={})
    assert response.status_code == 401
    wrong = {"Authorization": "Bearer signkey-dev-" + "f" * 64}
    response = shared_client.post(
        URL, params={"channel": "c", "topic": "t"}, json={}, headers=wrong
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "body", "says"),
    [
        ({"topic": "t"}, b"{}", "exactly one channel"),
        ([("channel", "a"), ("channel", "b"), ("topic", "t")], b"{}", "exactly one channel"),
        ({"channel": "c"}, b"{}", "at least one topic"),
        ({"channel": "c", "topic": "bad topic!"}, b"{}", "topic name"),
        ({"channel": "c\x01", "topic": "t"}, b"{}", "control character"),
        ({"channel": "c" * 300, "topic": "t"}, b"{}", "channel name"),
        ([("channel", "c"), *[("topic", f"t{i}") for i in range(65)]], b"{}", "topics in one"),
        ({"channel": "c", "topic": "t", "run_id": "x y"}, b"{}", "run_id"),
        ({"channel": "c", "topic": "t"}, b'{"a": ', "not valid JSON"),
        ({"channel": "c", "topic": "t"}, b"[1, 2", "not valid JSON"),
        ({"channel": "c", "topic": "t"}, b"", "empty"),
        ({"channel": "c", "topic": "t"}, b"\xff\xfe", "not UTF-8"),
        ({"channel": "c", "topic": "t"}, b"[" * 100_000, "nests too deeply"),
        ({"channel": "c", "topic": "t"}, b'{"x": NaN}', "finite number"),
    ],
)
def test_bad_requests_are_refused_with_what_was_wrong(
    shared_client: httpx.Client, params: object, body: bytes, says: str
) -> None:
    response = shared_client.post(URL, params=params, content=body, headers=AUTH)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert says in response.json()["error"]


def test_a_message_over_one_frame_is_refused_413(shared_client: httpx.Client) -> None:
    body = b'"' + b"x" * (128 * 1024) + b'"'
    response = shared_client.post(
        URL, params={"channel": "c", "topic": "t"}, content=body, headers=AUTH
    )
    assert response.status_code == 413
    assert "128" in response.json()["error"] or "131072" in response.json()["error"]


def test_a_message_just_under_a_frame_but_over_it_as_a_frame_is_refused_413(
    shared_client: httpx.Client,
) -> None:
    body = b'"' + b"x" * (128 * 1024 - 10) + b'"'
    response = shared_client.post(
        URL, params={"channel": "c", "topic": "t"}, content=body, headers=AUTH
    )
    assert response.status_code == 413
    assert "frame" in response.json()["error"]


def test_a_streamed_publish_is_refused_415(shared_client: httpx.Client) -> None:
    response = shared_client.post(
        URL,
        params={"channel": "c", "topic": "t"},
        content=b"chunk",
        headers={**AUTH, "Content-Type": "text/stream"},
    )
    assert response.status_code == 415


def test_the_publish_route_is_in_the_schema(shared_client: httpx.Client) -> None:
    assert URL in shared_client.get("/openapi.json").json()["paths"]
