"""GIVEN the local gateway (its head timeout shortened to 1 s)
WHEN a WebSocket connect carries a request line or header over 8 KB, too many headers, a
megabyte of header, or stops half way through its head
THEN each is answered (414, 431 or 408) and closed within seconds, whatever its size, while
ordinary requests, bodies and keep-alive connections are served as before."""

from __future__ import annotations

import socket
import time

import pytest
import websockets

from stepstream.local import GatewayLimits, RunningGateway
from tests.realtime_socket._support import recv_json, token
from tests.realtime_socket.conftest import GatewayFactory

UPGRADE = (
    b"Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)
CONNECT = b"GET /v1/realtime/connect HTTP/1.1\r\n"


@pytest.fixture
def quick(gateway_factory: GatewayFactory) -> RunningGateway:
    return gateway_factory(limits=GatewayLimits(head_timeout=1.0))


def _send(gateway: RunningGateway, request: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    """What the server answers (until it closes) and how long that took."""
    host, port = gateway.base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(wait)
        try:
            sock.sendall(request)
        except OSError:
            pass  # the server may close before a huge head is all sent
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer, time.monotonic() - started


CASES = {
    "request line over 8 KB": (
        b"GET /v1/realtime/connect?t=" + b"a" * 9000 + b" HTTP/1.1\r\n" + UPGRADE + b"\r\n",
        414,
    ),
    "header over 8 KB": (CONNECT + UPGRADE + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    "200 headers": (
        CONNECT + UPGRADE + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        431,
    ),
    "a megabyte of header": (CONNECT + UPGRADE + b"X-Big: " + b"a" * 1_000_000 + b"\r\n\r\n", 431),
    "head never finished": (CONNECT + UPGRADE, 408),
    "nothing sent": (b"", 408),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_head_is_answered_within_seconds(quick: RunningGateway, case: str) -> None:
    request, status = CASES[case]
    answer, took = _send(quick, request)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:80]
    assert took < 3.0


def test_a_head_sent_slowly_is_cut_off(quick: RunningGateway) -> None:
    host, port = quick.base_url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(5)
        sock.sendall(CONNECT)
        answer = b""
        try:
            for _ in range(50):  # one header byte every 100 ms: never a complete head
                sock.sendall(b"X")
                time.sleep(0.1)
        except OSError:
            pass
        try:
            answer = sock.recv(200)
        except (TimeoutError, ConnectionResetError):
            pass
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 3.0


async def test_ordinary_connects_and_requests_still_work(quick: RunningGateway) -> None:
    async with websockets.connect(f"{quick.ws_url}?token={token('chan-a', ['t1'])}") as ws:
        await ws.send('{"kind":"ping"}')
        assert await recv_json(ws) == {"kind": "pong"}
    # Two requests on one keep-alive connection, the second with a body bigger than any head.
    body = b"x" * 200_000
    request = (
        b"GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"POST /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer, _ = _send(quick, request)
    assert answer.count(b"HTTP/1.1 404 ") + answer.count(b"HTTP/1.1 405 ") == 2, answer[:300]
