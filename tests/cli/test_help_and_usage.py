"""GIVEN the installed `stepstream` command
WHEN a user asks for help or gets the arguments wrong
THEN help works everywhere (exit 0) and usage errors exit 2 naming the problem, no traceback."""

from __future__ import annotations

import pytest

from .cli_support import run_cli

COMMANDS = ["dev", "send", "tail", "token", "runs"]


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_help_everywhere(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.code == 0
    assert "usage: stepstream" in result.out
    if command:
        assert "--url" in result.out
        assert "--signing-key" in result.out


def test_top_level_help_lists_every_command() -> None:
    out = run_cli("--help").out
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required"),
        (["nonsense"], "invalid choice"),
        (["send"], "name"),
        (["send", "app/x", "--data", "{not json"], "--data is not valid JSON"),
        (["send", "app/x", "--data", "[1, 2]"], "must be a JSON object"),
        (["tail", "ch"], "--topics"),
        (["tail", "ch", "--topics", " , "], "at least one topic"),
        (["tail", "ch", "--topics", "a", "--since", "-1"], "0 or more"),
        (["token", "ch"], "--topics"),
        (["runs", "--limit", "0"], "at least 1"),
        (["runs", "--limit", "many"], "not a whole number"),
        (["dev", "--port", "99999"], "outside 0-65535"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_url_must_be_http() -> None:
    result = run_cli("runs", url="ftp://example.com")
    assert result.code == 1
    assert "is not an http(s) URL" in result.err
