"""The runs API end to end: an event sent over HTTP starts a run; GET /v1/runs/{id} shows its
status, output and steps with timings; the list, event and function routes find it."""

from __future__ import annotations

from datetime import datetime

import httpx

from stepstream import Stepstream

from ._http_support import AUTH, EVENT_KEY, run_until_settled


def _send(client: httpx.Client, **event: object) -> str:
    response = client.post(f"/e/{EVENT_KEY}", json=event)
    assert response.status_code == 200, response.text
    [event_id] = response.json()["ids"]
    return str(event_id)


def test_a_finished_run_shows_its_output_and_timed_steps(
    client: httpx.Client, app: Stepstream
) -> None:
    # GIVEN an event that starts the two-step greet function, executed to the end
    event_id = _send(client, name="test/greet", data={"who": "ada"})
    run_until_settled(app)
    # WHEN the event's runs are listed
    runs = client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
    [listed] = runs
    # AND the run is fetched by id
    response = client.get(f"/v1/runs/{listed['run_id']}", headers=AUTH)
    # THEN it is completed, with the function's output, in Inngest's envelope
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "metadata"}
    datetime.fromisoformat(body["metadata"]["fetched_at"])
    run = body["data"]
    assert (run["status"], run["state"]) == ("Completed", "completed")
    assert run["function_id"] == "greet"
    assert run["event_id"] == event_id
    assert run["output"] == {"text": "HELLO ADA"}
    assert run["error"] is None
    started, ended = (datetime.fromisoformat(run[k]) for k in ("run_started_at", "ended_at"))
    assert started <= ended
    # AND both steps, in order, with their outputs and timings
    assert [(s["id"], s["kind"], s["status"], s["output"]) for s in run["steps"]] == [
        ("hello", "run", "completed", "hello ada"),
        ("shout", "run", "completed", "HELLO ADA"),
    ]
    for step in run["steps"]:
        step_start = datetime.fromisoformat(step["started_at"])
        step_end = datetime.fromisoformat(step["ended_at"])
        assert started <= step_start <= step_end <= ended
        assert step["duration_ms"] == round((step_end - step_start).total_seconds() * 1000)


def test_a_queued_run_is_visible_before_it_executes(client: httpx.Client) -> None:
    event_id = _send(client, name="test/greet", data={})
    [run] = client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
    assert (run["status"], run["state"]) == ("Queued", "queued")
    assert run["steps"] == []
    assert run["run_started_at"] is None


def test_an_unknown_run_is_a_404_naming_it(client: httpx.Client) -> None:
    response = client.get("/v1/runs/01JUNKNOWNRUN", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {
        "error": "no run with id '01JUNKNOWNRUN'; run ids come from GET /v1/events/{id}/runs",
        "status": 404,
    }


def test_an_event_that_started_nothing_has_no_runs(client: httpx.Client) -> None:
    event_id = _send(client, name="test/unheard", data={})
    assert client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"] == []
    assert client.get("/v1/events/never-sent/runs", headers=AUTH).json()["data"] == []


def test_recent_runs_newest_first_and_by_function(client: httpx.Client, app: Stepstream) -> None:
    # GIVEN three runs of greet
    for who in ("a", "b", "c"):
        _send(client, name="test/greet", data={"who": who})
    # WHEN the recent runs are listed with a limit
    runs = client.get("/v1/runs?limit=2", headers=AUTH).json()["data"]
    # THEN the newest come first
    assert len(runs) == 2
    assert runs[0]["created_at"] >= runs[1]["created_at"]
    # AND filtering by function finds them, or nothing for another id
    assert len(client.get("/v1/runs?function_id=greet", headers=AUTH).json()["data"]) == 3
    assert client.get("/v1/runs?function_id=nope", headers=AUTH).json()["data"] == []


def test_events_can_be_read_back(client: httpx.Client) -> None:
    first = _send(client, name="test/one", data={"n": 1}, user={"id": "u1"}, ts=1_700_000_000_000)
    second = _send(client, name="test/two", data={"n": 2})
    # WHEN the recent events are listed
    events = client.get("/v1/events?limit=10", headers=AUTH).json()["data"]
    # THEN both are there, newest first
    assert [e["id"] for e in events] == [second, first]
    # AND one can be fetched with every field it was sent with
    event = client.get(f"/v1/events/{first}", headers=AUTH).json()["data"]
    assert {k: event[k] for k in ("id", "name", "data", "user", "ts")} == {
        "id": first,
        "name": "test/one",
        "data": {"n": 1},
        "user": {"id": "u1"},
        "ts": 1_700_000_000_000,
    }
    assert event["received_at"] > 1_700_000_000_000
    missing = client.get("/v1/events/nope", headers=AUTH)
    assert missing.status_code == 404
    assert "no event with id 'nope'" in missing.json()["error"]


def test_functions_lists_the_registry(client: httpx.Client) -> None:
    [greet, nap, boom] = client.get("/v1/functions", headers=AUTH).json()["data"]
    assert (nap["id"], boom["id"], boom["retries"]) == ("nap", "boom", 0)
    assert greet == {
        "id": "greet",
        "triggers": [{"event": "test/greet", "if_exp": None, "cron": None, "tz": None}],
        "retries": 2,
        "cancel_on": [],
        "idempotency": None,
        "has_on_failure": False,
        "flow": {},
    }


def test_a_failed_run_shows_its_error_and_the_failed_step(
    client: httpx.Client, app: Stepstream
) -> None:
    # GIVEN a run whose only step fails for good
    event_id = _send(client, name="test/boom")
    run_until_settled(app)
    # WHEN it is read
    [run] = client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
    # THEN it failed, saying why, and so did its step
    assert (run["status"], run["state"]) == ("Failed", "failed")
    assert run["output"] is None
    assert "the fuse was short" in run["error"]["message"]
    [step] = run["steps"]
    assert (step["id"], step["status"]) == ("explode", "failed")
    assert step["error"]["message"] == "the fuse was short"
