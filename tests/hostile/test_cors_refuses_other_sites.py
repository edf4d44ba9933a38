"""GIVEN the HTTP API as the dev stack serves it (STEPSTREAM_CORS_ORIGINS unset, not on Lambda)
WHEN a page on another site asks to send ``Authorization``
THEN the preflight is refused; pages served from this machine are still allowed."""

from __future__ import annotations

import httpx
import pytest

from stepstream import Stepstream
from stepstream.http import create_api
from tests.support.serve import serve


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://evil.example", False),
        ("http://localhost.evil.example", False),
        ("http://127.0.0.1.evil.example:8288", False),
        ("null", False),
        ("http://localhost:5173", True),
        ("http://127.0.0.1:8288", True),
        ("http://[::1]:3000", True),
        ("http://app.localhost:3000", True),
    ],
)
def test_only_this_machines_pages_may_send_authorization(
    aws: object, monkeypatch: pytest.MonkeyPatch, origin: str, allowed: bool
) -> None:
    monkeypatch.delenv("STEPSTREAM_CORS_ORIGINS", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    headers = {
        "origin": origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
    }
    with serve(create_api(Stepstream("cors-hostile"))) as url:
        response = httpx.options(f"{url}/v1/runs/x", headers=headers)
    assert ("access-control-allow-origin" in response.headers) is allowed
    assert (response.status_code == 200) is allowed
