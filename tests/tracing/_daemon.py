"""A stand-in X-Ray daemon: a UDP socket on loopback that keeps the segment documents it gets in
the daemon protocol (``{"format":"json","version":1}`` header line, then one JSON document)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

HEADER = {"format": "json", "version": 1}


class Daemon:
    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        self.documents: list[dict[str, Any]] = []
        self.malformed: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="xray-daemon", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._socket.recv(65536)
            except TimeoutError:
                continue
            header, _, body = data.partition(b"\n")
            try:
                assert json.loads(header) == HEADER
                document = json.loads(body)
            except (AssertionError, ValueError):
                with self._lock:
                    self.malformed.append(data)
                continue
            with self._lock:
                self.documents.append(document)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.documents)

    def wait_for(
        self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The documents once ``done(documents)`` holds (UDP on loopback is not instant)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            documents = self.received()
            if done(documents):
                return documents
            time.sleep(0.05)
        raise AssertionError(f"the daemon never got what was expected: {self.received()}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()
