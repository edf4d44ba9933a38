"""GIVEN sleeping runs WHEN they are cancelled in bulk with Inngest's ``POST /v1/cancellations``
(a time range and a CEL ``if`` over the event) THEN the matching active runs are cancelled, the
answer has an id that ``GET /v1/cancellations/{id}`` reads back with the count, and finished or
non-matching runs are left alone. Bad requests are refused and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stepstream.local import Provisioned

from ._ops_app import AUTH, OpsApp, served


def _body(**extra: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "app_id": "runops",
        "function_id": "nap",
        "started_after": (now - timedelta(hours=1)).isoformat(),
        "started_before": (now + timedelta(minutes=1)).isoformat(),
        **extra,
    }


def test_matching_runs_are_cancelled(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        acme = [ops.send(http, "runops/nap", {"vendor": "acme"}) for _ in range(2)]
        other = ops.send(http, "runops/nap", {"vendor": "other"})
        assert {ops.run(http, r)["state"] for r in [*acme, other]} == {"sleeping"}

        reply = http.post(
            "/v1/cancellations", json=_body(**{"if": "event.data.vendor == 'acme'"}), headers=AUTH
        )
        assert reply.status_code == 200, reply.text
        job = reply.json()["data"]
        assert job["cancelled"] == 2
        assert job["if"] == "event.data.vendor == 'acme'"
        assert [ops.run(http, r)["state"] for r in acme] == ["cancelled", "cancelled"]
        assert ops.run(http, other)["state"] == "sleeping"

        read = http.get(f"/v1/cancellations/{job['id']}", headers=AUTH)
        assert read.status_code == 200
        assert read.json()["data"]["cancelled"] == 2
        assert sorted(read.json()["data"]["run_ids"]) == sorted(acme)

        # AND a second cancellation over the same range leaves the finished runs alone
        again = http.post("/v1/cancellations", json=_body(), headers=AUTH).json()["data"]
        assert again["run_ids"] == [other]


def test_bad_cancellations_are_refused_and_change_nothing(aws: Provisioned) -> None:
    ops = OpsApp()
    with served(ops) as http:
        sleeping = ops.send(http, "runops/nap", {"vendor": "acme"})
        now = datetime.now(UTC)
        cases = [
            (_body(**{"if": "event.data.vendor =="}), 422, "invalid CEL expression"),
            (_body(started_after=(now - timedelta(days=40)).isoformat()), 422, "at most 31 days"),
            (_body(function_id="ghost"), 404, "no function 'ghost'"),
            (_body(app_id="elsewhere"), 404, "no app 'elsewhere'"),
            ({"app_id": "runops", "function_id": "nap"}, 400, "started_after"),
        ]
        for body, status, says in cases:
            reply = http.post("/v1/cancellations", json=body, headers=AUTH)
            assert reply.status_code == status, (body, reply.text)
            assert says in reply.json()["error"], reply.text
        assert ops.run(http, sleeping)["state"] == "sleeping"
        assert http.get("/v1/cancellations/nope", headers=AUTH).status_code == 404
