"""GIVEN a deployment that allows a browser origin (STEPSTREAM_CORS_ORIGINS) WHEN a page on that
origin asks for a token THEN both halves of the exchange carry CORS headers: on AWS the preflight
(OPTIONS) reaches the API function and the POST reaches the token function, so both must answer
with the same policy or the browser drops the token."""

from __future__ import annotations

import httpx
import pytest

from stepstream import Stepstream
from stepstream.http import create_api, token_api
from tests.support.serve import serve

ORIGIN = "https://app.example.com"
SIGNING_KEY = "signkey-prod-" + "ab" * 32
BODY = [{"channel": "orders", "name": "status", "kind": "run"}]


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "stepstream-TokenFunction")
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY", SIGNING_KEY)
    monkeypatch.setenv("STEPSTREAM_JWT_SECRET", "j" * 48)
    monkeypatch.setenv("STEPSTREAM_CORS_ORIGINS", ORIGIN)


def test_preflight_on_the_api_and_post_on_the_token_function_both_allow_the_origin(
    on_lambda: None,
) -> None:
    app = Stepstream(id="cors-tests")
    with serve(create_api(app)) as api_url:
        preflight = httpx.options(
            f"{api_url}/v1/realtime/token",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            },
        )
    with serve(token_api(app)) as token_url:
        minted = httpx.post(
            f"{token_url}/v1/realtime/token",
            json=BODY,
            headers={"origin": ORIGIN, "authorization": f"Bearer {SIGNING_KEY}"},
        )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert minted.status_code == 201, minted.text
    assert minted.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in minted.headers


def test_token_function_refusals_carry_cors_headers_too(on_lambda: None) -> None:
    # A browser can only read why it was refused if the refusal is CORS-tagged as well.
    with serve(token_api(Stepstream(id="cors-tests"))) as url:
        refused = httpx.post(f"{url}/v1/realtime/token", json=BODY, headers={"origin": ORIGIN})

    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN


def test_token_function_allows_no_other_origin(on_lambda: None) -> None:
    with serve(token_api(Stepstream(id="cors-tests"))) as url:
        minted = httpx.post(
            f"{url}/v1/realtime/token",
            json=BODY,
            headers={"origin": "https://evil.example", "authorization": f"Bearer {SIGNING_KEY}"},
        )

    assert "access-control-allow-origin" not in minted.headers
