"""GIVEN the dev process's idle trimmer (``local/_idle_trim.py``) WHEN a burst of work frees a
lot of small allocations and the process then goes idle THEN the trimmer hands freed heap back
to the system once (glibc's ``malloc_trim``), and not again while the process stays idle."""

from __future__ import annotations

import time

import pytest

from stepstream.local._idle_trim import IdleTrim, _glibc_trim


@pytest.mark.skipif(_glibc_trim() is None, reason="no glibc: nothing to trim")
def test_a_burst_then_quiet_is_trimmed_once() -> None:
    # idle: under a fifth of a core, so other tests' idle threads in this process don't count
    trimmer = IdleTrim(interval=0.5, busy=0.3, idle=0.1)
    trimmer.start()
    try:
        started = time.process_time()
        blocks = [bytearray(2048) for _ in range(100_000)]  # ~200 MB through malloc
        while time.process_time() - started < 1.2:  # busy for more than an interval
            sum(range(10_000))
        del blocks[::2]  # freed in between live ones: glibc cannot give these back by itself
        deadline = time.monotonic() + 20
        while trimmer.trims == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert trimmer.trims == 1
        time.sleep(1.5)  # three idle intervals more
        assert trimmer.trims == 1
        del blocks
    finally:
        trimmer.stop()
