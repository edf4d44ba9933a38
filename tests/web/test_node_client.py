"""Runs the browser client's own test suite (``node --test web/test/``) so ``make test`` covers
it: unit tests of ``web/subscribe.js`` and ``web/useRealtime.js``, and integration tests against
the real local WebSocket gateway (started by ``web/test/_stack.mjs`` from ``tests/web/_stack.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_node_suite_for_the_browser_client_passes() -> None:
    # GIVEN node and the npm packages the suite imports
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run `make system-deps` (apt-get install nodejs npm)")
    for package in ("ws", "react", "react-dom", "jsdom"):
        if not (ROOT / "node_modules" / package).is_dir():
            pytest.fail(f"node_modules/{package} is missing: run `make node-deps` (npm ci)")

    # WHEN the suite runs, with this interpreter serving the Python side
    completed = subprocess.run(
        [node, "--test", "--test-reporter=tap", "web/test/"],
        cwd=ROOT,
        env={**_environment(), "STEPSTREAM_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )

    # THEN every test passed (the report is shown when one did not)
    report = completed.stdout + completed.stderr
    # The failing tests' TAP blocks first: the whole report is too long to read in a CI log.
    failures = "\n".join(
        block for block in report.split("# Subtest: ") if "not ok" in block and "---" in block
    )
    assert completed.returncode == 0, failures[:6000] or report[-6000:]
    assert "# fail 0" in report, failures[:6000] or report[-6000:]


def _environment() -> dict[str, str]:
    # The stack picks its own AWS endpoint; a developer's real credentials must not leak in.
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
