"""create_api serves the realtime token route with the same app, limits and error shape."""

from __future__ import annotations

import httpx

from ._http_support import AUTH

REQUEST = [{"channel": "user:42", "name": "ai", "kind": "run"}]


def test_the_token_route_is_served(shared_client: httpx.Client) -> None:
    response = shared_client.post("/v1/realtime/token", json=REQUEST, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "user:42"
    assert response.json()["jwt"].count(".") == 2


def test_the_token_route_refuses_without_the_signing_key(shared_client: httpx.Client) -> None:
    response = shared_client.post("/v1/realtime/token", json=REQUEST)
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_the_token_route_is_in_the_schema(shared_client: httpx.Client) -> None:
    assert "/v1/realtime/token" in shared_client.get("/openapi.json").json()["paths"]
