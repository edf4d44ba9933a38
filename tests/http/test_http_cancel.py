"""Cancelling over HTTP: POST /v1/runs/{id}/cancel and Inngest's DELETE /v1/runs/{id}."""

from __future__ import annotations

import httpx
import pytest

from stepstream import Stepstream

from ._http_support import AUTH, EVENT_KEY, run_until_settled


def _sleeping_run(client: httpx.Client, app: Stepstream) -> str:
    [event_id] = client.post(f"/e/{EVENT_KEY}", json={"name": "test/nap"}).json()["ids"]
    run_until_settled(app)
    [run] = client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
    assert (run["status"], run["state"]) == ("Running", "sleeping")
    return str(run["run_id"])


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/runs/{}/cancel"), ("DELETE", "/v1/runs/{}")]
)
def test_a_sleeping_run_is_cancelled_at_once(
    client: httpx.Client, app: Stepstream, method: str, path: str
) -> None:
    # GIVEN a run sleeping for an hour after its first step
    run_id = _sleeping_run(client, app)
    # WHEN it is cancelled over HTTP
    response = client.request(method, path.format(run_id), headers=AUTH)
    # THEN the answer is the cancelled run, ended, with its completed step still shown
    assert response.status_code == 200, response.text
    run = response.json()["data"]
    assert (run["status"], run["state"]) == ("Cancelled", "cancelled")
    assert run["ended_at"] is not None
    first_step = run["steps"][0]
    assert (first_step["id"], first_step["status"]) == ("yawn", "completed")
    # AND reading it again agrees
    again = client.get(f"/v1/runs/{run_id}", headers=AUTH).json()["data"]
    assert again["state"] == "cancelled"


def test_cancelling_a_finished_run_changes_nothing(client: httpx.Client, app: Stepstream) -> None:
    # GIVEN a completed run
    [event_id] = client.post(f"/e/{EVENT_KEY}", json={"name": "test/greet"}).json()["ids"]
    run_until_settled(app)
    [run] = client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
    # WHEN it is cancelled, twice
    for _ in range(2):
        response = client.post(f"/v1/runs/{run['run_id']}/cancel", headers=AUTH)
        # THEN it is refused, saying why
        assert response.status_code == 409
        assert "completed already" in response.json()["error"]
    # AND the run is as it was: completed, with its output
    again = client.get(f"/v1/runs/{run['run_id']}", headers=AUTH).json()["data"]
    assert again["state"] == "completed"
    assert again["output"] == {"text": "HELLO WORLD"}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_cancelling_an_unknown_run_is_a_404(client: httpx.Client, method: str) -> None:
    path = "/v1/runs/nope/cancel" if method == "POST" else "/v1/runs/nope"
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 404
    assert "no run with id 'nope'" in response.json()["error"]
