"""GIVEN a dev stack on loopback (the dashboard, the HTTP API and the gateway on one port)
WHEN a request names a stranger's host (a DNS-rebinding page: ``Host: evil.example``) or comes
from a page on another site (``Origin: https://evil.example``)
THEN no route answers it: the dashboard config gives no key (403), signed API routes and the
WebSocket connect are refused; requests naming this machine are served as before."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from stepstream.aws import reset_clients
from stepstream.local import LocalStack, StackOptions
from tests.realtime_socket._support import token
from tests.support.aws import MotoEndpoint, use_local_aws

SIGNING_KEY = "signkey-rebinding-" + "k" * 24


@pytest.fixture(scope="module")
def stack(moto_endpoint: MotoEndpoint) -> Iterator[LocalStack]:
    """One stack for the module: every case only reads."""
    with pytest.MonkeyPatch.context() as env:
        provisioned = use_local_aws(env, moto_endpoint.aws, letter="r")
        env.delenv("STEPSTREAM_CORS_ORIGINS", raising=False)
        options = StackOptions(
            provisioned=provisioned, pollers=False, schedules=False, signing_key=SIGNING_KEY
        )
        with LocalStack(options) as running:
            yield running
    reset_clients()


STRANGERS = [
    {"host": "evil.example"},
    {"host": "evil.example:8288"},
    {"host": "127.0.0.1.nip.io"},
    {"origin": "https://evil.example"},
    {"origin": "null"},
]
PATHS = ["/dashboard/config.json", "/", "/v1/events", "/v1/runs", "/health"]


@pytest.mark.parametrize("headers", STRANGERS, ids=lambda h: ",".join(h.values()))
def test_a_strangers_name_gets_nothing(stack: LocalStack, headers: dict[str, str]) -> None:
    for path in PATHS:
        response = httpx.get(
            stack.url + path,
            headers={"authorization": f"Bearer {SIGNING_KEY}", **headers},
        )
        assert response.status_code == 403, (path, response.text[:200])
        assert SIGNING_KEY not in response.text


@pytest.mark.parametrize("headers", STRANGERS, ids=lambda h: ",".join(h.values()))
async def test_a_strangers_name_cannot_open_a_socket(
    stack: LocalStack, headers: dict[str, str]
) -> None:
    url = f"{stack.ws_url}?token={token('chan-a', ['t1'])}"
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(url, additional_headers=headers):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "app.localhost", "[::1]"])
def test_this_machines_names_are_served(stack: LocalStack, host: str) -> None:
    port = stack.url.rsplit(":", 1)[1]
    config = httpx.get(
        f"{stack.url}/dashboard/config.json",
        headers={"host": f"{host}:{port}", "origin": f"http://{host}:{port}"},
    )
    assert config.status_code == 200
    assert config.json()["signingKey"] == SIGNING_KEY
    runs = httpx.get(
        f"{stack.url}/v1/runs", headers={"authorization": f"Bearer {SIGNING_KEY}", "host": host}
    )
    assert runs.status_code != 403
