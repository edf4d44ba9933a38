"""GIVEN the HTTP API as the dev stack serves it (STEPSTREAM_CORS_ORIGINS unset, not on Lambda)
WHEN a page on another site asks to send ``Authorization``
THEN the preflight is refused; pages served from this machine are still allowed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from stepstream import Stepstream
from stepstream.http import create_api
from tests.support.serve import serve


@pytest.fixture(scope="module")
def dev_api() -> Iterator[str]:
    """The API as a dev stack builds it (a preflight touches no AWS)."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("STEPSTREAM_CORS_ORIGINS", raising=False)
        env.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
        with serve(create_api(Stepstream("cors-hostile"))) as url:
            yield url


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
    dev_api: str, origin: str, allowed: bool
) -> None:
    headers = {
        "origin": origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
    }
    response = httpx.options(f"{dev_api}/v1/runs/x", headers=headers)
    assert ("access-control-allow-origin" in response.headers) is allowed
    assert (response.status_code == 200) is allowed
