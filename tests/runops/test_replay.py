"""GIVEN a function whose runs failed during an outage WHEN its failed runs in a time range are
replayed over HTTP THEN one rerun starts per failed run (the count is answered, and a dry run
counts without starting), progress is visible, and bad ranges are refused changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stepstream.local import Provisioned

from ._ops_app import AUTH, OpsApp, run_until_settled, served


def _range(**extra: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "function_id": "charge",
        "started_after": (now - timedelta(hours=1)).isoformat(),
        "started_before": (now + timedelta(minutes=1)).isoformat(),
        **extra,
    }


def test_failed_runs_are_replayed(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        failed = [ops.send(http, "runops/charge", {"n": n}) for n in range(3)]
        ops.broken = False
        fine = ops.send(http, "runops/charge", {"n": 3})
        assert ops.run(http, fine)["state"] == "completed"

        # WHEN the dashboard asks how many it would replay
        dry = http.post("/v1/replays", json=_range(dry_run=True), headers=AUTH)
        assert dry.status_code == 200, dry.text
        assert (dry.json()["data"]["count"], dry.json()["data"]["id"]) == (3, None)

        # AND replays them
        reply = http.post("/v1/replays", json=_range(), headers=AUTH)
        assert reply.status_code == 200, reply.text
        replay = reply.json()["data"]
        assert replay["count"] == 3
        assert replay["statuses"] == ["failed"]
        # THEN progress shows them queued, then finished
        progress = http.get(f"/v1/replays/{replay['id']}", headers=AUTH).json()["data"]
        assert progress["progress"]["total"] == 3
        assert progress["progress"]["finished"] == 0
        run_until_settled(ops.app)
        progress = http.get(f"/v1/replays/{replay['id']}", headers=AUTH).json()["data"]
        assert progress["progress"] == {"total": 3, "finished": 3, "by_status": {"completed": 3}}
        reruns = [ops.run(http, run_id) for run_id in replay["run_ids"]]
        assert sorted(r["rerun_of"] for r in reruns) == sorted(failed)
        originals = [ops.run(http, run_id) for run_id in failed]
        assert sorted(r["event_id"] for r in reruns) == sorted(r["event_id"] for r in originals)


def test_bad_replays_are_refused_and_change_nothing(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        ops.send(http, "runops/charge")
        before = http.get("/v1/runs", headers=AUTH).json()["data"]
        now = datetime.now(UTC)
        too_long = _range(started_after=(now - timedelta(days=32)).isoformat())
        cases = [
            (too_long, 422, "at most 31 days"),
            (_range(function_id="nope"), 404, "no function 'nope'"),
            (_range(started_before=(now - timedelta(hours=2)).isoformat()), 422, "range is empty"),
            (_range(statuses=["running"]), 400, "statuses"),
            (_range(started_after="yesterday"), 400, "started_after"),
            (_range(started_after="2026-01-01T00:00:00"), 400, "timezone"),
        ]
        for body, status, says in cases:
            reply = http.post("/v1/replays", json=body, headers=AUTH)
            assert reply.status_code == status, (body, reply.text)
            assert says in reply.json()["error"], reply.text
        assert http.get("/v1/replays/nope", headers=AUTH).status_code == 404
        assert http.get("/v1/runs", headers=AUTH).json()["data"] == before
