"""Bodies over 512 KB are refused with 413 on the raw stream, before parsing: declared by
Content-Length, or streamed chunked with no length at all."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from stepstream import Stepstream
from stepstream.http import MAX_BODY_BYTES

from ._http_support import EVENT_KEY


def _event_of_size(size: int) -> bytes:
    """A compact JSON event exactly ``size`` bytes long."""
    skeleton = json.dumps({"name": "test/big", "data": {"pad": ""}}, separators=(",", ":"))
    body = json.dumps(
        {"name": "test/big", "data": {"pad": "x" * (size - len(skeleton))}}, separators=(",", ":")
    ).encode()
    assert len(body) == size
    return body


def test_a_body_at_the_limit_is_accepted(client: httpx.Client) -> None:
    # GIVEN an event whose JSON is exactly 512 KB
    body = _event_of_size(MAX_BODY_BYTES)
    # WHEN it is posted
    response = client.post(f"/e/{EVENT_KEY}", content=body)
    # THEN it is accepted
    assert response.status_code == 200, response.text


def test_one_byte_over_is_refused(shared_client: httpx.Client, shared_app: Stepstream) -> None:
    # GIVEN an event one byte over 512 KB
    body = _event_of_size(MAX_BODY_BYTES + 1)
    # WHEN it is posted with its Content-Length
    response = shared_client.post(f"/e/{EVENT_KEY}", content=body)
    # THEN it is refused as too large, and nothing is stored
    assert response.status_code == 413
    assert response.json() == {
        "error": "request body is larger than the 512 KB limit; "
        "send fewer or smaller events per request",
        "status": 413,
    }
    assert shared_app.events.recent(limit=5) == []


def test_a_chunked_body_without_length_is_cut_off(
    shared_client: httpx.Client, shared_app: Stepstream
) -> None:
    # GIVEN a body streamed in chunks with no Content-Length, growing past the limit
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"name": "test/big", "data": {"pad": "'
        while sent < 4 * MAX_BODY_BYTES:
            sent += 64 * 1024
            yield b"x" * 64 * 1024
        yield b'"}}'

    # WHEN it is posted
    response = shared_client.post(f"/e/{EVENT_KEY}", content=chunks())
    # THEN it was sent chunked, and refused as too large
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "512 KB" in response.json()["error"]
    assert shared_app.events.recent(limit=5) == []


def test_a_declared_oversize_is_refused_before_the_body_is_sent(
    shared_client: httpx.Client,
) -> None:
    # GIVEN a raw connection that declares a 10 MB body but sends none of it
    url = urlsplit(str(shared_client.base_url))
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            f"POST /e/{EVENT_KEY} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n".encode()
        )
        # WHEN the server answers
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    # THEN it has refused with 413 without waiting for the body
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
