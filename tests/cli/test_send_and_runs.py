"""GIVEN a dev stack
WHEN a user sends an event with the CLI and lists runs
THEN send prints the event id, `runs` shows the run and `runs <id>` its steps with timings;
bad keys and unknown ids exit 1 with the API's reason."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.support.devprocess import DevProcess

from .cli_support import run_cli


def _wait_for_run(stack: DevProcess, event_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = run_cli("runs", "--json", "--limit", "50", url=stack.url)
        assert result.code == 0, result.err
        for run in json.loads(result.out):
            if run["event_id"] == event_id and run["state"] in ("completed", "failed"):
                found: dict[str, Any] = run
                return found
        time.sleep(0.3)
    raise AssertionError(f"no finished run for {event_id}:\n{stack.output}")


def test_send_then_runs_shows_the_run_and_its_steps(stack: DevProcess) -> None:
    sent = run_cli("send", "test/echo", "--data", '{"n": 5}', url=stack.url)
    assert sent.code == 0, sent.err
    event_id = sent.out.strip()
    assert len(event_id) >= 20

    run = _wait_for_run(stack, event_id)
    assert run["state"] == "completed"

    table = run_cli("runs", url=stack.url)
    assert table.code == 0
    header, *rows = table.out.splitlines()
    assert header.split()[:4] == ["RUN", "FUNCTION", "STATUS", "CREATED"]
    assert any(run["run_id"] in row and "echo" in row and "completed" in row for row in rows)

    detail = run_cli("runs", run["run_id"], url=stack.url)
    assert detail.code == 0
    assert "status    completed" in detail.out
    assert '{"doubled":10}' in detail.out
    step_line = next(line for line in detail.out.splitlines() if line.startswith("double"))
    assert "completed" in step_line
    assert " ms" in step_line or " s" in step_line


def test_runs_filter_by_function(stack: DevProcess) -> None:
    sent = run_cli("send", "test/fail", url=stack.url)
    failed = _wait_for_run(stack, sent.out.strip())
    assert failed["state"] == "failed"
    only_fail = json.loads(run_cli("runs", "--json", "--function", "fail", url=stack.url).out)
    assert only_fail
    assert {r["function_id"] for r in only_fail} == {"fail"}
    detail = run_cli("runs", failed["run_id"], url=stack.url)
    assert "the test asked for a failure" in detail.out


def test_send_with_id_is_deduplicated(stack: DevProcess) -> None:
    first = run_cli(
        "send", "test/echo", "--data", '{"n": 1}', "--id", "cli-dedupe-1", url=stack.url
    )
    again = run_cli(
        "send", "test/echo", "--data", '{"n": 1}', "--id", "cli-dedupe-1", url=stack.url
    )
    assert first.code == again.code == 0
    assert first.out == again.out


def test_unknown_run_is_a_readable_failure(stack: DevProcess) -> None:
    result = run_cli("runs", "no-such-run", url=stack.url)
    assert result.code == 1
    assert "404" in result.err
    assert "no-such-run" in result.err


def test_wrong_keys_are_explained(stack: DevProcess) -> None:
    send = run_cli("send", "test/echo", "--event-key", "wrong", url=stack.url)
    assert send.code == 1
    assert "401" in send.err
    assert "--event-key" in send.err
    runs = run_cli("runs", url=stack.url, STEPSTREAM_SIGNING_KEY="signkey-dev-00ff")
    assert runs.code == 1
    assert "401" in runs.err


def test_oversized_and_reserved_events_get_the_apis_reason(
    stack: DevProcess, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"blob": "x" * 600_000}))
    too_big = run_cli("send", "test/echo", "--data", f"@{huge}", url=stack.url)
    assert too_big.code == 1
    assert "413" in too_big.err
    reserved = run_cli("send", "stepstream/internal", url=stack.url)
    assert reserved.code == 1
    assert "reserved prefix" in reserved.err
    assert "Traceback" not in too_big.err + reserved.err


def test_data_from_a_file(stack: DevProcess, tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text('{"n": 9}')
    sent = run_cli("send", "test/echo", "--data", f"@{payload}", url=stack.url)
    assert sent.code == 0, sent.err
    assert _wait_for_run(stack, sent.out.strip())["output"] == {"doubled": 18}
    missing = run_cli("send", "test/echo", "--data", f"@{tmp_path / 'nope.json'}", url=stack.url)
    assert missing.code == 2
    assert "cannot read" in missing.err


def test_url_that_is_not_a_stepstream_api(stack: DevProcess) -> None:
    # The dashboard page answers HTML, not JSON: the CLI says so instead of crashing.
    result = run_cli("runs", url=stack.url + "/dashboard/index.html#")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "stepstream API" in result.err or "404" in result.err
