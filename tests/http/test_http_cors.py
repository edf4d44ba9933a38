"""Browsers on other origins may call the API where CORS allows it: this machine's pages
locally by default, none on Lambda unless STEPSTREAM_CORS_ORIGINS names them."""

from __future__ import annotations

import httpx
import pytest

from stepstream import Stepstream
from stepstream.http import create_api
from tests.support.serve import serve

from ._http_support import EVENT_KEY

PREFLIGHT = {
    "origin": "http://localhost:5173",
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type,x-inngest-sdk",
}


def _preflight(app: Stepstream, **kwargs: object) -> httpx.Response:
    with serve(create_api(app, **kwargs)) as url:  # type: ignore[arg-type]
        return httpx.options(f"{url}/e/{EVENT_KEY}", headers=PREFLIGHT)


def test_locally_this_machines_pages_may_send_events(
    shared_app: Stepstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STEPSTREAM_CORS_ORIGINS", raising=False)
    response = _preflight(shared_app)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "x-inngest-sdk" in response.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in response.headers


def test_on_lambda_no_origin_is_allowed_by_default(
    shared_app: Stepstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "stepstream-api")
    monkeypatch.delenv("STEPSTREAM_CORS_ORIGINS", raising=False)
    response = _preflight(shared_app)
    assert "access-control-allow-origin" not in response.headers


def test_configured_origins_are_the_only_ones_allowed(
    shared_app: Stepstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_CORS_ORIGINS", "https://app.example.com, http://localhost:5173")
    allowed = _preflight(shared_app)
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    with serve(create_api(shared_app)) as url:
        refused = httpx.options(
            f"{url}/e/{EVENT_KEY}", headers={**PREFLIGHT, "origin": "https://evil.example"}
        )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_the_argument_overrides_the_environment(
    shared_app: Stepstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_CORS_ORIGINS", "*")
    assert "access-control-allow-origin" not in _preflight(shared_app, cors_origins=[]).headers


def test_error_responses_carry_cors_headers(shared_client: httpx.Client) -> None:
    # GIVEN a browser on another origin sending to a wrong key
    response = shared_client.post(
        "/e/wrong", json={"name": "x"}, headers={"origin": "http://localhost:5173"}
    )
    # THEN the page can read the 401's message
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
