"""GIVEN ``stepstream dev`` (what ``make dev`` runs: IAM emulated per function, recursion detection
on) started with ``STEPSTREAM_TRACING=true`` and ``AWS_XRAY_DAEMON_ADDRESS`` at a UDP socket on
loopback
WHEN an event is sent to its event API
THEN the run completes as it does untraced, and its segment, ``run`` subsegment and step
subsegment arrive in the X-Ray daemon protocol."""

from __future__ import annotations

import time

import httpx

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from tests.support.devprocess import DevProcess, app_env

from ._daemon import Daemon


def test_make_dev_sends_traces_when_asked(daemon: Daemon) -> None:
    stack = DevProcess(
        env=app_env(STEPSTREAM_TRACING="true", AWS_XRAY_DAEMON_ADDRESS=daemon.address)
    )
    try:
        stack.wait_ready()
        event = {"name": "test/echo", "data": {"n": 21}}
        answer = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json=event)
        assert answer.status_code == 200, answer.text
        event_id = answer.json()["ids"][0]
        auth = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
        deadline = time.monotonic() + 60
        runs: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            runs = httpx.get(f"{stack.url}/v1/events/{event_id}/runs", headers=auth).json()["data"]
            if runs and runs[0]["state"] in ("completed", "failed"):
                break
            time.sleep(0.2)
        assert runs, stack.output
        assert runs[0]["state"] == "completed", stack.output
        run_id = runs[0]["run_id"]

        # The step's subsegment is sent when it closes, the run's and the segment after it.
        def whole(docs: list[dict[str, object]]) -> bool:
            names = [d["name"] for d in docs]
            runs = [d for d in docs if d["name"] == "run"]
            ids = {d["id"] for d in docs}
            return "step double" in names and bool(runs) and runs[0]["parent_id"] in ids

        documents = daemon.wait_for(whole, timeout=60)
    finally:
        stack.kill()
    assert daemon.malformed == []
    [run] = [d for d in documents if d["name"] == "run"]
    [step] = [d for d in documents if d["name"] == "step double"]
    [segment] = [d for d in documents if d["id"] == run["parent_id"]]
    assert run["annotations"]["run_id"] == step["annotations"]["run_id"] == run_id
    assert step["parent_id"] == run["id"]
    assert step["annotations"]["outcome"] == "ok"
    assert segment["trace_id"] == run["trace_id"] == step["trace_id"]
