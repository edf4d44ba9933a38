"""The event key guards POST /e/{key}; the signing key (raw or hashed as Inngest SDKs send it)
guards every /v1 route; on Lambda the development keys are refused."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from stepstream.config import DEV_SIGNING_KEY
from stepstream.http import hashed_signing_key

from ._http_support import AUTH, EVENT_KEY

V1_ROUTES = [
    ("GET", "/v1/runs"),
    ("GET", "/v1/runs/01HZZZZZZZZZZZZZZZZZZZZZZZ"),
    ("POST", "/v1/runs/01HZZZZZZZZZZZZZZZZZZZZZZZ/cancel"),
    ("DELETE", "/v1/runs/01HZZZZZZZZZZZZZZZZZZZZZZZ"),
    ("GET", "/v1/events"),
    ("GET", "/v1/events/e1"),
    ("GET", "/v1/events/e1/runs"),
    ("GET", "/v1/functions"),
]


def test_the_hash_matches_inngest_python_sdk() -> None:
    # GIVEN the official SDK's own hashing of a signing key
    from inngest._internal.transforms import hash_signing_key

    # THEN ours without the prefix is identical, and with it is the TypeScript SDK's form
    assert hashed_signing_key(DEV_SIGNING_KEY, keep_prefix=False) == hash_signing_key(
        DEV_SIGNING_KEY
    )
    expected = hashlib.sha256(bytes.fromhex(DEV_SIGNING_KEY.removeprefix("signkey-dev-")))
    assert hashed_signing_key(DEV_SIGNING_KEY) == "signkey-dev-" + expected.hexdigest()


def test_every_v1_route_requires_the_signing_key(shared_client: httpx.Client) -> None:
    for method, path in V1_ROUTES:
        response = shared_client.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert "missing Authorization header" in response.json()["error"]


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Basic dXNlcjpwYXNz", "not a bearer token"),
        ("Bearer", "not a bearer token"),
        ("Bearer signkey-dev-" + "0" * 64, "not this deployment's signing key"),
        ("Bearer " + "x" * 5000, "not this deployment's signing key"),
        (f"Bearer {DEV_SIGNING_KEY}x", "not this deployment's signing key"),
    ],
    ids=["basic", "empty", "wrong", "huge", "suffixed"],
)
def test_a_malformed_or_wrong_key_is_refused(
    shared_client: httpx.Client, authorization: str, message: str
) -> None:
    # GIVEN a request with a malformed or wrong key
    # WHEN it calls a /v1 route
    response = shared_client.get("/v1/runs", headers={"Authorization": authorization})
    # THEN it is refused with 401, a challenge, and a message saying what to send
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert message in response.json()["error"]
    assert "Authorization: Bearer <signing key>" in response.json()["error"]


@pytest.mark.parametrize(
    "token",
    [
        DEV_SIGNING_KEY,
        hashed_signing_key(DEV_SIGNING_KEY),
        hashed_signing_key(DEV_SIGNING_KEY, keep_prefix=False),
    ],
    ids=["raw", "hashed-typescript", "hashed-python"],
)
def test_every_form_of_the_signing_key_is_accepted(shared_client: httpx.Client, token: str) -> None:
    # WHEN a /v1 route is called with the key in any form an Inngest SDK may send
    response = shared_client.get("/v1/runs", headers={"Authorization": f"bearer {token}"})
    # THEN it is served
    assert response.status_code == 200, response.text


def test_a_configured_signing_key_replaces_the_dev_key(
    shared_client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a deployment configured with its own signing key
    key = "signkey-prod-" + "ab" * 32
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY", key)
    # THEN the dev key no longer works and the configured one (raw or hashed) does
    assert shared_client.get("/v1/runs", headers=AUTH).status_code == 401
    for token in (key, hashed_signing_key(key)):
        response = shared_client.get("/v1/runs", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200


def test_health_needs_no_key(shared_client: httpx.Client) -> None:
    assert shared_client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("key", ["wrong", "dev-event-key-x", "x" * 3000, "%00"])
def test_an_unknown_event_key_is_refused(shared_client: httpx.Client, key: str) -> None:
    # WHEN events are sent with a key that is not this deployment's
    response = shared_client.post(f"/e/{key}", json={"name": "test/greet"})
    # THEN the answer is 401 saying where the key comes from
    assert response.status_code == 401
    assert "STEPSTREAM_EVENT_KEY" in response.json()["error"]


def test_an_absent_event_key_is_not_a_route(shared_client: httpx.Client) -> None:
    response = shared_client.post("/e/", json={"name": "test/greet"})
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_on_lambda_the_development_keys_are_refused(
    shared_client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the API running on Lambda without real keys configured
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "stepstream-api")
    monkeypatch.delenv("STEPSTREAM_SIGNING_KEY", raising=False)
    monkeypatch.delenv("STEPSTREAM_EVENT_KEY", raising=False)
    # WHEN a caller uses the published development keys
    runs = shared_client.get("/v1/runs", headers=AUTH)
    sent = shared_client.post(f"/e/{EVENT_KEY}", json={"name": "test/greet"})
    # THEN both are refused, telling the operator what to configure
    assert runs.status_code == 401
    assert "set STEPSTREAM_SIGNING_KEY" in runs.json()["error"]
    assert sent.status_code == 401
    assert "set STEPSTREAM_EVENT_KEY" in sent.json()["error"]
