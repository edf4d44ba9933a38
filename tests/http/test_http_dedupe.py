"""A repeated event id within 24 hours starts no second run, end to end over HTTP."""

from __future__ import annotations

import httpx
import inngest

from stepstream import Stepstream

from ._http_support import AUTH, EVENT_KEY


def test_a_repeated_event_id_starts_one_run(client: httpx.Client, app: Stepstream) -> None:
    # GIVEN an event with an id, sent twice (a client retrying after a timeout, say)
    event = {"name": "test/greet", "id": "order-42", "data": {"who": "first"}}
    first = client.post(f"/e/{EVENT_KEY}", json=event).json()
    second = client.post(f"/e/{EVENT_KEY}", json={**event, "data": {"who": "second"}}).json()
    # THEN both sends are acknowledged with the same id
    assert first == second == {"ids": ["order-42"], "status": 200}
    # AND the event started exactly one run, with the first payload
    runs = client.get("/v1/events/order-42/runs", headers=AUTH).json()["data"]
    assert len(runs) == 1
    assert app.events.get("order-42").data == {"who": "first"}  # type: ignore[union-attr]
    assert len(client.get("/v1/runs?function_id=greet", headers=AUTH).json()["data"]) == 1


def test_repeats_within_one_request_start_one_run(client: httpx.Client) -> None:
    event = {"name": "test/greet", "id": "twice-in-a-batch"}
    answer = client.post(f"/e/{EVENT_KEY}", json=[event, event]).json()
    assert answer["ids"] == ["twice-in-a-batch", "twice-in-a-batch"]
    runs = client.get("/v1/events/twice-in-a-batch/runs", headers=AUTH).json()["data"]
    assert len(runs) == 1


def test_the_official_client_resending_an_id_starts_one_run(
    base_url: str, client: httpx.Client
) -> None:
    sdk = inngest.Inngest(
        app_id="http-tests", event_key=EVENT_KEY, event_api_base_url=base_url, is_production=True
    )
    try:
        for _ in range(2):
            sdk.send_sync(inngest.Event(name="test/greet", id="sdk-dedupe", data={}))
    finally:
        # The SDK has no close(); without this its pooled connection leaks (ResourceWarning).
        sdk._http_client._http_client_sync.close()
    runs = client.get("/v1/events/sdk-dedupe/runs", headers=AUTH).json()["data"]
    assert len(runs) == 1
