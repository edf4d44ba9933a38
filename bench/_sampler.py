"""A sampling profiler for a multi-threaded process (``bench.soak --profile``): where its CPU goes.

cProfile sees one thread and slows it several times over; ``stepstream dev`` spreads its work
over the gateway's event loop, the Lambda worker threads, the poller and moto's server threads.
This samples every thread's Python stack every ``INTERVAL`` seconds and counts only stacks whose
innermost frame is not a known wait (a selector, a lock, an idle pool worker, a socket read), so
the counts approximate where CPU is spent, by thread group and by function. It also reads each
thread's CPU time from ``/proc`` (exact, per thread), so the split between groups does not depend
on the heuristic. Written every few seconds to ``path`` as JSON, so a killed process leaves it.

Started by ``start(path)`` from the ``python -c`` command that runs the dev process.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

INTERVAL = 0.02
WRITE_EVERY = 5.0
IDLE_LEAVES = {
    "select",  # selectors: an event loop or a server waiting for sockets
    "wait",  # threading.Condition / Event
    "_worker",  # concurrent.futures: a pool thread waiting for work
    "_wait_for_tstate_lock",
    "readinto",  # socket.SocketIO: waiting for a response
    "recv_into",
    "accept",
    "get",  # queue.Queue.get blocking
    "sleep",
    "serve_forever",
}
"""Innermost function names that mean the thread is waiting, not computing."""
_GROUP = re.compile(r"[-_]?\d+$|\s*\(.*\)$")


def _group(name: str) -> str:
    """``ws-lambda_3`` → ``ws-lambda``; ``Thread-12 (process_request_thread)`` → ``Thread``."""
    return _GROUP.sub("", _GROUP.sub("", name)) or name


def _where(frame: FrameType) -> str:
    code = frame.f_code
    return f"{Path(code.co_filename).name}:{code.co_name}"


def _thread_cpu(native_id: int) -> float:
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.samples = 0
        self.busy: Counter[str] = Counter()  # by thread group
        self.self_time: Counter[str] = Counter()  # innermost frame
        self.inclusive: Counter[str] = Counter()  # every frame on a busy stack, once per stack
        self.stacks: Counter[str] = Counter()  # collapsed, innermost 12 frames
        self.cpu: dict[str, float] = {}  # group -> seconds, from /proc
        self._cpu_seen: dict[int, tuple[str, float]] = {}
        self._me = threading.get_ident()

    def run(self) -> None:
        last_write = time.monotonic()
        while True:
            time.sleep(INTERVAL)
            self.sample()
            if time.monotonic() - last_write > WRITE_EVERY:
                self.write()
                last_write = time.monotonic()

    def sample(self) -> None:
        names = {t.ident: t.name for t in threading.enumerate()}
        self.samples += 1
        for ident, frame in sys._current_frames().items():
            if ident == self._me:
                continue
            if frame.f_code.co_name in IDLE_LEAVES:
                continue
            group = _group(names.get(ident, "?"))
            self.busy[group] += 1
            stack: list[str] = []
            current: FrameType | None = frame
            while current is not None:
                stack.append(_where(current))
                current = current.f_back
            self.self_time[stack[0]] += 1
            for where in set(stack):
                self.inclusive[where] += 1
            self.stacks[";".join(reversed(stack[:12]))] += 1

    def write(self) -> None:
        for thread in threading.enumerate():
            if thread.native_id is not None:
                self._cpu_seen[thread.native_id] = (
                    _group(thread.name),
                    _thread_cpu(thread.native_id),
                )
        cpu: dict[str, float] = {}
        for group, seconds in self._cpu_seen.values():
            cpu[group] = cpu.get(group, 0.0) + seconds
        report = {
            "samples": self.samples,
            "interval_s": INTERVAL,
            "process_cpu_s": round(sum(os.times()[:2]), 1),
            "thread_cpu_s": {k: round(v, 1) for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])},
            "busy_samples_by_thread": dict(self.busy.most_common()),
            "self": dict(self.self_time.most_common(60)),
            "inclusive": dict(self.inclusive.most_common(120)),
            "stacks": dict(self.stacks.most_common(80)),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, indent=1))
        tmp.replace(self.path)


def start(path: str) -> None:
    sampler = Sampler(path)
    threading.Thread(target=sampler.run, name="bench-sampler", daemon=True).start()
