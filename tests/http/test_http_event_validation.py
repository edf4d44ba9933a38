"""Hostile and malformed bodies on POST /e/{key}: each gets a 4xx JSON error naming what is wrong,
and nothing is stored (a list with one bad event stores none)."""

from __future__ import annotations

import json

import httpx
import pytest

from stepstream import Stepstream
from stepstream.http import MAX_EVENTS_PER_REQUEST

from ._http_support import EVENT_KEY

GOOD = {"name": "test/greet", "data": {"who": "ada"}}

CASES: list[tuple[str, bytes, int, str]] = [
    ("malformed JSON", b'{"name": "a", ', 400, "not valid JSON"),
    ("trailing garbage", b'{"name": "a"} x', 400, "not valid JSON"),
    ("empty body", b"", 400, "body is empty"),
    ("not UTF-8", b'{"name": "\xff"}', 400, "not valid UTF-8"),
    ("NaN", b'{"name": "a", "data": {"x": NaN}}', 400, "NaN is not a JSON number"),
    (
        "overflowing float",
        b'{"name": "a", "data": {"x": 1e999}}',
        400,
        "event.data.x is not a finite",
    ),
    ("huge integer", b'{"name": "a", "data": {"x": ' + b"9" * 5000 + b"}}", 400, "not valid JSON"),
    ("a string", b'"test/greet"', 400, "body is a JSON string"),
    ("a number", b"42", 400, "body is a JSON number"),
    ("null", b"null", 400, "body is a JSON null"),
    ("empty list", b"[]", 400, "list of events is empty"),
    ("list of non-objects", b"[1, 2]", 400, "event[0] is a JSON number"),
    ("missing name", b'{"data": {}}', 400, "event.name is required"),
    ("name wrong type", b'{"name": 7}', 400, "event.name is required"),
    ("blank name", b'{"name": "   "}', 400, "event.name is required"),
    (
        "name too long",
        json.dumps({"name": "a" * 257}).encode(),
        400,
        "event.name is longer than 256",
    ),
    ("control char in name", b'{"name": "a\\u0007b"}', 400, "control character U+0007"),
    ("newline in name", b'{"name": "a\\nb"}', 400, "control character U+000A"),
    ("reserved name", b'{"name": "stepstream/function.failed"}', 400, "reserved prefix"),
    ("data is a list", b'{"name": "a", "data": [1]}', 400, "event.data must be a JSON object"),
    ("data is a string", b'{"name": "a", "data": "x"}', 400, "event.data must be a JSON object"),
    ("user is a string", b'{"name": "a", "user": "x"}', 400, "event.user must be a JSON object"),
    ("id wrong type", b'{"name": "a", "id": 5}', 400, "event.id must be a string"),
    (
        "id too long",
        json.dumps({"name": "a", "id": "i" * 257}).encode(),
        400,
        "event.id is longer than 256",
    ),
    ("ts negative", b'{"name": "a", "ts": -1}', 400, "event.ts must be"),
    ("ts a string", b'{"name": "a", "ts": "now"}', 400, "event.ts must be"),
    ("ts a boolean", b'{"name": "a", "ts": true}', 400, "event.ts must be"),
    ("v not a string", b'{"name": "a", "v": 2}', 400, "event.v"),
    ("lone surrogate in data", b'{"name": "a", "data": {"t": "\\udc00"}}', 400, "lone UTF-16"),
    ("lone surrogate in a key", b'{"name": "a", "data": {"\\ud800": 1}}', 400, "lone UTF-16"),
    (
        "data nested past DynamoDB's limit",
        b'{"name": "a", "data": ' + b'{"x": ' * 40 + b"1" + b"}" * 40 + b"}",
        400,
        "nests deeper than 32 levels",
    ),
    ("nesting past the parser's limit", b"[" * 200_000 + b"]" * 200_000, 400, "nests too deeply"),
    (
        "one bad event in a list",
        json.dumps([GOOD, GOOD, {"name": "a", "data": 3}]).encode(),
        400,
        "event[2].data",
    ),
    (
        "a thousand and one events",
        json.dumps([GOOD] * 1001).encode(),
        400,
        "1001 events in one request",
    ),
    (
        "too many events",
        json.dumps([GOOD] * (MAX_EVENTS_PER_REQUEST + 1)).encode(),
        400,
        f"the limit is {MAX_EVENTS_PER_REQUEST}",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_bodies_store_nothing(
    shared_client: httpx.Client, shared_app: Stepstream, body: bytes, status: int, message: str
) -> None:
    # GIVEN a malformed or hostile body
    # WHEN it is posted to the event API
    response = shared_client.post(
        f"/e/{EVENT_KEY}", content=body, headers={"content-type": "application/json"}
    )
    # THEN it is refused with a JSON error naming the problem
    assert response.status_code == status, response.text
    assert response.json() == {"error": response.json()["error"], "status": status}
    assert message in response.json()["error"]
    # AND nothing was stored (no case in this module's shared stack is ever accepted)
    assert shared_app.events.recent(limit=10) == []


def test_unicode_names_and_data_are_accepted(client: httpx.Client, app: Stepstream) -> None:
    # GIVEN an event whose name and data use non-ASCII text, emoji and escaped code points
    body = '{"name": "app/café.ordered", "data": {"ключ": "值 🎉 \\u00e9", "n": 1.5}}'
    # WHEN it is posted as UTF-8
    response = client.post(
        f"/e/{EVENT_KEY}", content=body.encode(), headers={"content-type": "application/json"}
    )
    # THEN it is accepted and stored unchanged
    assert response.status_code == 200, response.text
    [event_id] = response.json()["ids"]
    stored = app.events.get(event_id)
    assert stored is not None
    assert stored.name == "app/café.ordered"
    assert stored.data == {"ключ": "值 🎉 é", "n": 1.5}


def test_unknown_fields_are_ignored(client: httpx.Client) -> None:
    # GIVEN an event carrying a field Inngest does not define
    # WHEN it is posted
    response = client.post(f"/e/{EVENT_KEY}", json={**GOOD, "extra": {"x": 1}})
    # THEN it is accepted, as Inngest's event API does
    assert response.status_code == 200, response.text
    assert response.json()["status"] == 200
