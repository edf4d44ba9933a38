"""Every refusal and failure is JSON {"error", "status"}; a backend failure reveals nothing."""

from __future__ import annotations

import logging

import httpx
import pytest

from ._http_support import AUTH


def test_an_unknown_route_is_a_json_404(shared_client: httpx.Client) -> None:
    response = shared_client.get("/v2/whatever")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no such route; see /docs for the routes this API serves",
        "status": 404,
    }


def test_a_wrong_method_is_a_json_405(shared_client: httpx.Client) -> None:
    response = shared_client.put("/v1/runs/abc", headers=AUTH)
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert "method not allowed" in response.json()["error"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit: Input should be greater than or equal to 1"),
        ("limit=501", "limit: Input should be less than or equal to 500"),
        ("limit=ten", "limit: Input should be a valid integer"),
        ("function_id=" + "f" * 300, "function_id: String should have at most 256 characters"),
    ],
)
def test_bad_query_parameters_are_400s_naming_the_parameter(
    shared_client: httpx.Client, query: str, message: str
) -> None:
    response = shared_client.get(f"/v1/runs?{query}", headers=AUTH)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_an_overlong_run_id_is_a_400(shared_client: httpx.Client) -> None:
    response = shared_client.get("/v1/runs/" + "r" * 300, headers=AUTH)
    assert response.status_code == 400
    assert "run_id: String should have at most 256 characters" in response.json()["error"]


def test_a_backend_failure_is_a_500_without_internals(
    shared_client: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN the state table is missing (a misconfigured deployment)
    monkeypatch.setenv("STEPSTREAM_STATE_TABLE", "no-such-table")
    # WHEN a run is read
    with caplog.at_level(logging.ERROR, logger="stepstream.http"):
        response = shared_client.get("/v1/runs/abc", headers=AUTH)
    # THEN the caller gets a 500 that names no table, class or stack
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == 500
    assert "no-such-table" not in body["error"]
    assert "Traceback" not in body["error"]
    # AND the log has the real cause for the operator
    assert "ResourceNotFoundException" in caplog.text


@pytest.mark.parametrize(
    "path",
    ["/v1/runs/%FF", "/v1/runs/%ED%A0%80", "/v1/runs/%00", "/v1/events/%FF", "/v1/events/%FF/runs"],
    ids=["invalid-utf8", "surrogate", "nul", "event-invalid-utf8", "event-runs-invalid-utf8"],
)
def test_hostile_ids_in_paths_are_answered_not_crashed(
    shared_client: httpx.Client, path: str
) -> None:
    response = shared_client.get(path, headers=AUTH)
    assert response.status_code in (200, 404), response.text
    assert response.headers["content-type"] == "application/json"


def test_signed_answers_are_not_cacheable(shared_client: httpx.Client) -> None:
    for path in ("/v1/runs", "/v1/events", "/v1/functions", "/v1/events/x/runs"):
        response = shared_client.get(path, headers=AUTH)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store", path
