"""GIVEN a port that is already taken, or a folder with no template.yaml
WHEN `stepstream dev` starts
THEN it exits 1 at once with a message that says what to do, and no traceback."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.support.devprocess import STEPSTREAM, cli_env


def test_port_in_use_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(STEPSTREAM), "dev", "--port", str(port)],
            cwd=Path(__file__).resolve().parents[2],
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_no_template_is_reported(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(STEPSTREAM), "dev", "--port", "0"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no template.yaml" in result.stderr
    assert "--template" in result.stderr


def test_bad_port_is_a_usage_error() -> None:
    for args, env in ((["--port", "70000"], {}), ([], {"PORT": "eighty"})):
        result = subprocess.run(
            [str(STEPSTREAM), "dev", *args],
            env=cli_env(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (args, env, result.stderr)
        assert "Traceback" not in result.stderr
