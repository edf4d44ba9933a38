"""GIVEN no stack listening at the URL
WHEN any command that talks to it runs
THEN it exits 1 with a readable hint to start `make dev`, not a traceback."""

from __future__ import annotations

import socket

import pytest

from .cli_support import run_cli


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    "args",
    [
        ["send", "app/hello"],
        ["runs"],
        ["runs", "some-run"],
        ["token", "ch", "--topics", "a"],
        ["tail", "ch", "--topics", "a"],
    ],
)
def test_connection_refused_is_explained(args: list[str]) -> None:
    url = _closed_port_url()
    result = run_cli(*args, url=url)
    assert result.code == 1
    assert f"cannot reach {url}: connection refused" in result.err
    assert "is `make dev` running?" in result.err.lower() or "Is `make dev` running?" in result.err
    assert "Traceback" not in result.err


def test_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = _closed_port_url()
    result = run_cli("runs", STEPSTREAM_URL=url)
    assert result.code == 1
    assert url in result.err
