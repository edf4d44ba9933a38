"""GIVEN a run that failed at its second step WHEN it is rerun over HTTP THEN a new run of the
same function and event starts, linked by ``rerun_of``; from a step it keeps the memo of the
steps before it. Unknown runs and step ids are refused and change nothing."""

from __future__ import annotations

from typing import Any

from stepstream.local import Provisioned

from ._ops_app import AUTH, OpsApp, run_until_settled, served


def _runs(http: Any) -> list[str]:
    return [r["run_id"] for r in http.get("/v1/runs", headers=AUTH).json()["data"]]


def test_rerun_from_the_top_and_from_a_step(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        failed = ops.send(http, "runops/charge", {"amount": 5})
        assert ops.run(http, failed)["state"] == "failed"
        ops.broken = False

        # WHEN it is rerun from the top
        ops.bodies.clear()
        reply = http.post(f"/v1/runs/{failed}/rerun", headers=AUTH)
        assert reply.status_code == 200, reply.text
        again = reply.json()["data"]
        assert again["rerun_of"] == failed
        run_until_settled(ops.app)
        # THEN every step ran again, with the same event, and the link shows in the runs API
        rerun = ops.run(http, again["run_id"])
        assert (rerun["state"], rerun["output"]) == ("completed", "card+receipt")
        assert rerun["rerun_of"] == failed
        assert rerun["function_id"] == "charge"
        assert ops.bodies == ["card", "charge", "receipt"]

        # WHEN it is rerun from the failed step
        ops.bodies.clear()
        reply = http.post(f"/v1/runs/{failed}/rerun", json={"from_step": "charge"}, headers=AUTH)
        assert reply.status_code == 200, reply.text
        run_until_settled(ops.app)
        forked = ops.run(http, reply.json()["data"]["run_id"])
        # THEN the step before it kept its memo; it and the ones after ran
        assert forked["state"] == "completed"
        assert ops.bodies == ["charge", "receipt"]
        assert [s["id"] for s in forked["steps"]] == ["card", "charge", "receipt"]


def test_bad_reruns_are_refused_and_change_nothing(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        failed = ops.send(http, "runops/charge")
        before = _runs(http)
        unknown = http.post("/v1/runs/nope/rerun", headers=AUTH)
        assert unknown.status_code == 404
        assert "no run with id 'nope'" in unknown.json()["error"]
        wrong = http.post(f"/v1/runs/{failed}/rerun", json={"from_step": "refund"}, headers=AUTH)
        assert wrong.status_code == 422
        assert "has no step 'refund'" in wrong.json()["error"]
        assert "'card', 'charge'" in wrong.json()["error"]
        extra = http.post(f"/v1/runs/{failed}/rerun", json={"from": "card"}, headers=AUTH)
        assert extra.status_code in (400, 422)
        assert http.post(f"/v1/runs/{failed}/rerun").status_code == 401
        assert _runs(http) == before
