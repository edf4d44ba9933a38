"""``stepstream dev`` in a subprocess, as a user runs it, on a free port: start it, read what it
prints (its URL, AWS endpoint and signing key), stop it with Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPSTREAM = Path(sys.executable).parent / "stepstream"
READY = re.compile(r"ready on (http://\S+)")
AWS = re.compile(r"AWS_ENDPOINT_URL=(\S+)")
SIGNING_KEY = re.compile(r"Signing key\s+(\S+)")
DEVSTACK_APP = "tests.support.devstack_app:app"


def cli_env(**overrides: str) -> dict[str, str]:
    """The environment a developer's shell would have: no endpoint overrides from the test run,
    and the test app importable when asked for."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "STEPSTREAM_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    env.update(overrides)
    return env


def app_env(**overrides: str) -> dict[str, str]:
    """Point the stack at tests/support/devstack_app.py instead of functions/app."""
    return cli_env(
        STEPSTREAM_APP=DEVSTACK_APP,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        **overrides,
    )


class DevProcess:
    """``stepstream dev --port 0 [args]``; ``command`` replaces ``stepstream dev`` (the
    end-to-end tests run it with an extra route)."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        command: Sequence[str] = (str(STEPSTREAM), "dev"),
    ) -> None:
        self.proc = subprocess.Popen(
            [*command, "--port", "0", *args],
            cwd=ROOT,
            env=env or cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""
        self.aws_endpoint = ""
        self.signing_key = ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"stepstream dev exited early:\n{self.output}")
            if found := AWS.search(line):
                self.aws_endpoint = found.group(1)
            if found := SIGNING_KEY.search(line):
                self.signing_key = found.group(1)
            if found := READY.search(line):
                self.url = found.group(1)
                return self.url
        raise AssertionError(f"stepstream dev was not ready within {timeout} s:\n{self.output}")

    def interrupt(self, timeout: float = 20) -> int:
        """Ctrl-C, as a terminal sends it; the exit code."""
        self.proc.send_signal(signal.SIGINT)
        return self.wait_exit(timeout)

    def terminate(self, timeout: float = 20) -> None:
        """SIGTERM, as a service manager stops it; killed if it has not exited in ``timeout``."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close()

    def wait_exit(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        self._close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        self._reader.join(timeout=5)  # everything printed is in self.lines
        if self.proc.stdout is not None:
            self.proc.stdout.close()
