"""GIVEN a paused function WHEN events for it arrive THEN no run starts: with ``hold`` its runs
wait queued and start on resume, with ``skip`` none is created; a run in flight finishes."""

from __future__ import annotations

import httpx

from stepstream.local import Provisioned

from ._ops_app import AUTH, EVENT_KEY, OpsApp, run_until_settled, served


def _send(http: httpx.Client, ops: OpsApp, name: str) -> list[dict[str, object]]:
    [event_id] = http.post(f"/e/{EVENT_KEY}", json={"name": name}).json()["ids"]
    run_until_settled(ops.app)
    runs: list[dict[str, object]] = http.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()[
        "data"
    ]
    return runs


def test_pause_hold_then_resume(aws: Provisioned) -> None:
    ops = OpsApp()
    ops.broken = False
    with served(ops) as http:
        in_flight = ops.send(http, "runops/nap")
        reply = http.post("/v1/functions/nap/pause", json={"mode": "hold"}, headers=AUTH)
        assert reply.status_code == 200, reply.text
        assert http.get("/v1/pauses", headers=AUTH).json()["data"] == {"nap": "hold"}
        [held] = _send(http, ops, "runops/nap")
        assert held["state"] == "queued"  # kept, not started
        assert ops.run(http, in_flight)["state"] == "sleeping"  # in flight, untouched
        # other functions are not paused
        [other] = _send(http, ops, "runops/charge")
        assert other["state"] == "completed"

        resumed = http.post("/v1/functions/nap/resume", headers=AUTH).json()["data"]
        assert resumed == {"function_id": "nap", "paused": None, "started": [held["run_id"]]}
        run_until_settled(ops.app)
        assert ops.run(http, str(held["run_id"]))["state"] == "sleeping"
        assert http.get("/v1/pauses", headers=AUTH).json()["data"] == {}


def test_pause_skip_drops_new_runs(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        assert http.post("/v1/functions/nap/pause", json={"mode": "skip"}, headers=AUTH).is_success
        assert _send(http, ops, "runops/nap") == []
        resumed = http.post("/v1/functions/nap/resume", headers=AUTH).json()["data"]
        assert resumed["started"] == []
        [run] = _send(http, ops, "runops/nap")
        assert run["state"] == "sleeping"


def test_bad_pauses_are_refused(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        ghost = http.post("/v1/functions/ghost/pause", headers=AUTH)
        assert ghost.status_code == 404
        assert "no function 'ghost'" in ghost.json()["error"]
        bad = http.post("/v1/functions/nap/pause", json={"mode": "later"}, headers=AUTH)
        assert bad.status_code == 400
        assert http.post("/v1/functions/ghost/resume", headers=AUTH).status_code == 404
        assert http.get("/v1/pauses", headers=AUTH).json()["data"] == {}
