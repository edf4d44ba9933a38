"""One keep-alive HTTP/1.1 client connection, for :mod:`._fast_post`: a request is one write,
an answer is read by its ``Content-Length`` (or chunks, or to the close).

Why not ``http.client``: it parses every answer's headers with the ``email`` package and writes
the head and the body separately, which is most of a small post's client CPU."""

from __future__ import annotations

import http.client
import select
import socket
import ssl

MAX_HEAD = 64 * 1024


class Http1:
    """A connection to ``host:port`` (TLS with ``tls``); made on the first request."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self._address = (host, port)
        self._tls = tls
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._sock: socket.socket | None = None

    @property
    def open(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        self.close()
        sock = socket.create_connection(self._address, timeout=self._connect_timeout)
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._address[0])
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self._read_timeout)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def dropped(self) -> bool:
        """Closed by the server while idle (an idle keep-alive connection is never readable)."""
        if self._sock is None:
            return True
        try:
            return bool(select.select([self._sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def request(self, head: bytes, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send ``head`` (request line and headers, ending in a blank line) and ``body``; the
        answer's status, headers (lower-case names) and body."""
        if self._sock is None:
            self.connect()
        sock = self._sock
        assert sock is not None
        sock.sendall(head + body)
        buffer = b""
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEAD:
                raise http.client.LineTooLong("response head")
            buffer += self._recv(sock, not buffer)
        lines = buffer[:end].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest.partition(" ")[0]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise http.client.BadStatusLine(lines[0])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        buffer = buffer[end + 4 :]
        status = int(code)
        if status in (204, 304) or 100 <= status < 200:
            content = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            content, buffer = self._chunks(sock, buffer)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            while len(buffer) < length:
                buffer += self._recv(sock, False)
            content, buffer = buffer[:length], buffer[length:]
        else:  # delimited by the close
            while chunk := sock.recv(65536):
                buffer += chunk
            content, buffer = buffer, b""
            headers.setdefault("connection", "close")
        if (
            "close" in headers.get("connection", "").lower()
            or version == "HTTP/1.0"
            or buffer  # bytes nobody asked for: the connection's state is unknown
        ):
            self.close()
        return status, headers, content

    def _recv(self, sock: socket.socket, first: bool) -> bytes:
        chunk = sock.recv(65536)
        if not chunk:
            if first:  # closed before answering: a kept-alive connection the server dropped
                raise http.client.RemoteDisconnected("closed without an answer")
            raise http.client.IncompleteRead(b"")
        return chunk

    def _chunks(self, sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
        content = b""
        while True:
            while (end := buffer.find(b"\r\n")) < 0:
                buffer += self._recv(sock, False)
            size = int(buffer[:end].split(b";")[0], 16)
            buffer = buffer[end + 2 :]
            if size == 0:
                while (end := buffer.find(b"\r\n")) != 0:  # trailers, then the blank line
                    if end < 0:
                        buffer += self._recv(sock, False)
                    else:
                        buffer = buffer[end + 2 :]
                return content, buffer[2:]
            while len(buffer) < size + 2:
                buffer += self._recv(sock, False)
            content += buffer[:size]
            buffer = buffer[size + 2 :]
