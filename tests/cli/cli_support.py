"""Helpers to run the CLI as a user runs it: ``.venv/bin/stepstream ...`` in a subprocess."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from tests.support.devprocess import STEPSTREAM, cli_env


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str, url: str | None = None, timeout: float = 60, **env: str) -> Result:
    command = [str(STEPSTREAM), *args]
    if url:
        command += ["--url", url]
    done = subprocess.run(
        command, env=cli_env(**env), capture_output=True, text=True, timeout=timeout
    )
    return Result(done.returncode, done.stdout, done.stderr)


class TailProcess:
    """`stepstream tail ...` running in the background, its lines readable as they come."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(STEPSTREAM), "tail", *args],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.lines_seen: list[str] = []
        """Everything printed on stdout, in order."""
        self._pumps = [
            threading.Thread(
                target=self._pump, args=(self.proc.stdout, self.out, self.lines_seen), daemon=True
            ),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err, []), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    @staticmethod
    def _pump(stream: object, into: queue.Queue[str], seen: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            seen.append(line.rstrip("\n"))
            into.put(line.rstrip("\n"))

    def expect(self, where: queue.Queue[str], text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = where.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if text in line:
                return line
        raise AssertionError(f"tail printed no line containing {text!r}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=15)
        for pump in self._pumps:
            pump.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        return code
