"""POST /e/{key} takes JSON only: other media types, charsets and encodings get 415."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from stepstream import Stepstream

from ._http_support import EVENT_KEY

JSON_ONLY = "send the events as application/json"
BODY = json.dumps({"name": "test/greet", "data": {}}).encode()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"content-type": "application/x-www-form-urlencoded"},
            JSON_ONLY,
        ),
        ({"content-type": "text/plain"}, JSON_ONLY),
        (
            {"content-type": "multipart/form-data; boundary=x"},
            JSON_ONLY,
        ),
        ({"content-type": "application/json; charset=latin-1"}, "send UTF-8 JSON"),
        (
            {"content-type": "application/json", "content-encoding": "gzip"},
            "Content-Encoding 'gzip' is not accepted",
        ),
    ],
)
def test_non_json_bodies_are_refused(
    shared_client: httpx.Client, shared_app: Stepstream, headers: dict[str, str], message: str
) -> None:
    # GIVEN a valid event sent with a media type, charset or encoding we do not read
    content = gzip.compress(BODY) if headers.get("content-encoding") == "gzip" else BODY
    # WHEN it is posted
    response = shared_client.post(f"/e/{EVENT_KEY}", content=content, headers=headers)
    # THEN the answer is 415 saying what to send instead, and nothing is stored
    assert response.status_code == 415, response.text
    assert message in response.json()["error"]
    assert shared_app.events.recent(limit=5) == []


def test_json_media_types_are_accepted(client: httpx.Client) -> None:
    # GIVEN the spellings of JSON that clients send, and no Content-Type at all
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; charset=UTF-8",
        "application/vnd.api+json",
        None,
    ):
        headers = {"content-type": content_type} if content_type else {}
        # WHEN a valid event is posted with it
        response = client.post(f"/e/{EVENT_KEY}", content=BODY, headers=headers)
        # THEN it is accepted
        assert response.status_code == 200, (content_type, response.text)
