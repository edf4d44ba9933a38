"""An HTTP protocol for the local server that answers every request head, whatever its size.

uvicorn hands a WebSocket upgrade to the ``websockets`` handshake parser, which drops a request
line or header line over 8 KB (or more than 128 headers) without a word, and neither waits for a
head with a deadline: such a connect was held open for minutes. This guard sits in front of
both, in uvicorn's HTTP protocol, before any handshake: a request line over ``MAX_LINE_BYTES``
is answered 414, a header line over it, more than ``MAX_HEADERS`` headers or a head over
``MAX_HEAD_BYTES`` 431, and a head not complete within the timeout 408; each answer closes the
connection. API Gateway itself caps a WebSocket URL at 4096 characters (the gateway answers 414
for that) and headers at about 10 KB.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_LINE_BYTES = 8000
"""Longest request line or header line; ``websockets`` refuses lines over 8192 bytes."""
MAX_HEADERS = 100
"""Most header lines; ``websockets`` refuses more than 128."""
MAX_HEAD_BYTES = 16 * 1024
"""Longest request head (request line and headers), as Node's default."""
HEAD_TIMEOUT = 10.0
"""Seconds a client has to send a whole request head once it has started one (or connected)."""

_REASONS = {
    408: b"Request Timeout",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
}


class HeadGuardProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded request heads.

    The parser reports a head in pieces (URL chunks, whole headers) and buffers a header value
    until it ends, so two lower bounds of the head's size are kept: the pieces reported, and
    every chunk that arrived wholly inside the head. A head over the limit is caught by one of
    them within a read (at most 256 KB) of crossing it; a body is never counted."""

    head_timeout = HEAD_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refused = False
        self._in_head = False
        self._reported = 0
        self._raw = 0
        self._header_count = 0
        self._timer: asyncio.TimerHandle | None = None
        self._start_timer()  # a connection that never sends a head is closed too

    def _start_timer(self) -> None:
        self._cancel_timer()
        self._timer = self.loop.call_later(self.head_timeout, self._timed_out)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        was_in_head = self._in_head
        super().data_received(data)
        if self._refused or not self._in_head:
            return
        if was_in_head:
            self._raw += len(data)
        if max(self._raw, self._reported) > MAX_HEAD_BYTES:
            self._refuse(431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._reported = self._raw = self._header_count = 0
        if self._timer is None:
            self._start_timer()

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        super().on_url(url)
        self._reported += len(url)
        if len(self.url) > MAX_LINE_BYTES:
            self._refuse(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._header_count += 1
        self._reported += len(name) + len(value) + 4
        if len(name) + len(value) + 4 > MAX_LINE_BYTES or self._header_count > MAX_HEADERS:
            self._refuse(431)
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_head = False
        self._cancel_timer()
        super().on_headers_complete()

    # Once refused, the parser may still call back for what it had buffered: ignore it all.
    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        if not self._refused:
            super().handle_websocket_upgrade()

    def _unsupported_upgrade_warning(self) -> None:
        if not self._refused:  # a refused head has no headers: not an unsupported upgrade
            super()._unsupported_upgrade_warning()

    def _timed_out(self) -> None:
        self._timer = None
        if not self._refused:
            self._refuse(408)

    def _refuse(self, status: int) -> None:
        """Answer ``status`` with a one-line body and close; the parser is fed nothing more."""
        self._refused = True
        self._cancel_timer()
        reason = _REASONS[status]
        body = reason + b"\n"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()


def guarded_http(head_timeout: float = HEAD_TIMEOUT) -> type[HeadGuardProtocol]:
    """The protocol class to pass as uvicorn's ``http=``, with its own head timeout."""
    attributes: dict[str, Any] = {"head_timeout": head_timeout}
    return type("HeadGuardProtocol", (HeadGuardProtocol,), attributes)
