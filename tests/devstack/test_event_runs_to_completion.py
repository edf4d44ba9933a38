"""GIVEN a dev stack running the test app
WHEN an event is sent to the event API
THEN the SQS poller hands it to the executor handler named in template.yaml and the run
completes, its step and output visible in the runs API; a failing run shows its error."""

from __future__ import annotations

import time
from typing import Any

import httpx

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from tests.support.devprocess import DevProcess

AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}


def _send(stack: DevProcess, name: str, data: dict[str, Any]) -> str:
    answer = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json={"name": name, "data": data})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["ids"][0])


def _finished_run(stack: DevProcess, event_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = httpx.get(f"{stack.url}/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
        if runs and runs[0]["state"] in ("completed", "failed", "cancelled"):
            run: dict[str, Any] = httpx.get(
                f"{stack.url}/v1/runs/{runs[0]['run_id']}", headers=AUTH
            ).json()["data"]
            return run
        time.sleep(0.2)
    raise AssertionError(f"the run of event {event_id} did not finish:\n{stack.output}")


def test_sent_event_runs_to_completion(test_stack: DevProcess) -> None:
    run = _finished_run(test_stack, _send(test_stack, "test/echo", {"n": 21}))
    assert run["function_id"] == "echo"
    assert run["state"] == "completed"
    assert run["output"] == {"doubled": 42}
    assert [(s["id"], s["status"], s["output"]) for s in run["steps"]] == [
        ("double", "completed", 42)
    ]


def test_failing_run_shows_its_error(test_stack: DevProcess) -> None:
    run = _finished_run(test_stack, _send(test_stack, "test/fail", {}))
    assert run["state"] == "failed"
    assert "the test asked for a failure" in str(run["error"])
