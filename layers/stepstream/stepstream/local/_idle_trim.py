"""The dev process gives freed heap back to the system once a burst of work is over.

CPython frees objects into glibc's malloc, which keeps the pages for reuse: after a load (a
thousand sockets, a flood of runs) the dev process stayed at twice its starting RSS while idle,
though most of it was free (``bench.soak``: 397 MB held, 279 MB after ``malloc_trim``). Every
``INTERVAL`` seconds this compares the process's CPU time with the last look: after a busy
interval (at least ``BUSY`` seconds of CPU) followed by an idle one (at most ``IDLE``), it calls
glibc's ``malloc_trim(0)`` once. Nothing happens where there is no glibc (macOS, musl): the
allocator there is left as it is.
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("stepstream.dev")
INTERVAL = 5.0
BUSY = 0.5
IDLE = 0.25


def _glibc_trim() -> Callable[[int], object] | None:
    try:
        trim: Callable[[int], object] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):
        return None


def rss_mb() -> float:
    """This process's resident set (0 where ``/proc`` has none)."""
    try:
        found = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        return 0.0
    return int(found.group(1)) / 1024 if found else 0.0


class IdleTrim:
    """A daemon thread trimming the heap after each burst of work (see the module)."""

    def __init__(self, interval: float = INTERVAL, busy: float = BUSY, idle: float = IDLE) -> None:
        """``busy`` and ``idle``: CPU seconds per ``interval`` that make it busy or idle."""
        self.interval = interval
        self.busy = busy
        self.idle = idle
        self.trims = 0
        self.given_back_mb = 0.0
        self._trim = _glibc_trim()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="idle-trim", daemon=True)

    def start(self) -> None:
        if self._trim is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 1)

    def _loop(self) -> None:
        assert self._trim is not None
        used = time.process_time()
        busy = False
        while not self._stop.wait(self.interval):
            now = time.process_time()
            spent, used = now - used, now
            if spent >= self.busy:
                busy = True
            elif busy and spent <= self.idle:
                busy = False
                before = rss_mb()
                self._trim(0)
                self.trims += 1
                self.given_back_mb += max(0.0, before - rss_mb())
                log.debug("idle: gave %.0f MB of freed heap back", before - rss_mb())
