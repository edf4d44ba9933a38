"""Fixtures for the browser-client tests: the realtime stack of ``_stack.py`` in a subprocess,
and Debian's headless Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

STACK = Path(__file__).with_name("_stack.py")


@dataclass
class Stack:
    """The running stack: the gateway's and the control server's base URLs."""

    gateway: str
    control: str
    http: httpx.Client

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, self.control + path, json=body)
        response.raise_for_status()
        return None if response.status_code == 204 else response.json()

    def publish(self, channel: str, topic: str, data: Any) -> dict[str, Any]:
        frame: dict[str, Any] = self.call(
            "POST", "/publish", {"channel": channel, "topic": topic, "data": data}
        )
        return frame

    def connections(self) -> list[str]:
        ids: list[str] = self.call("GET", "/connections")["ids"]
        return ids


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """moto + template.yaml + the local WebSocket gateway + the control server, one per module."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    log_path = tmp_path_factory.mktemp("stack") / "stderr.log"
    log = log_path.open("w")  # a file, not a pipe nobody drains, so the stack never blocks
    process = subprocess.Popen(
        [sys.executable, str(STACK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=10)
        log.close()
        pytest.fail(f"tests/web/_stack.py did not start:\n{log_path.read_text()}")
    urls = json.loads(line)
    with httpx.Client(timeout=10) as http:
        yield Stack(urls["gateway"], urls["control"], http)
    process.stdin.close()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()
    log.close()


@pytest.fixture(scope="module")
def chromium(chromium_browser: Any) -> Any:
    """Debian's chromium through Playwright (the shared fixture in tests/conftest.py)."""
    return chromium_browser


@pytest.fixture(scope="session")
def web_build() -> Path:
    """``npm run build`` (vite) once per session: web/pages/* → web/dist/."""
    root = Path(__file__).resolve().parents[2]
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: run `make system-deps` (apt-get install nodejs npm)")
    if not (root / "node_modules" / "vite").is_dir():
        pytest.fail("node_modules/vite is missing: run `make node-deps` (npm ci)")
    completed = subprocess.run(
        [npm, "run", "--silent", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return root / "web" / "dist"
