"""The official ``inngest`` PyPI client, pointed at our base URL, sends events unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import inngest
import pytest
from inngest._internal.errors import SendEventsError  # what send() raises; not re-exported

from stepstream import Stepstream

from ._http_support import EVENT_KEY

MakeClient = Callable[..., inngest.Inngest]


@pytest.fixture
def make_client(base_url: str) -> Iterator[MakeClient]:
    """Official clients pointed at our API, in production mode unless told otherwise."""
    made: list[inngest.Inngest] = []

    def make(event_key: str | None = EVENT_KEY, is_production: bool = True) -> inngest.Inngest:
        client = inngest.Inngest(
            app_id="http-tests",
            event_key=event_key,
            event_api_base_url=base_url,
            is_production=is_production,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        # The SDK has no close(); without this its pooled connection leaks (ResourceWarning).
        client._http_client._http_client_sync.close()


def test_send_sync_stores_the_event_and_starts_a_run(
    make_client: MakeClient, app: Stepstream
) -> None:
    # GIVEN the official client configured for our API
    client = make_client()
    # WHEN it sends an event with send_sync
    ids = client.send_sync(inngest.Event(name="test/greet", data={"who": "sync"}))
    # THEN it gets one id back, the event is stored, and it started the greet function
    [event_id] = ids
    stored = app.events.get(event_id)
    assert stored is not None
    assert (stored.name, stored.data) == ("test/greet", {"who": "sync"})
    assert stored.ts > 0  # the SDK stamps ts in milliseconds
    [run] = app.runs.for_event(event_id)
    assert run.function_id == "greet"


async def test_async_send_of_a_batch(make_client: MakeClient, app: Stepstream) -> None:
    # GIVEN the official client
    client = make_client()
    # WHEN it sends two events in one call with the async API
    try:
        ids = await client.send(
            [
                inngest.Event(name="test/greet", data={"who": "a"}),
                inngest.Event(name="test/other", data={"n": 2}, id="dedupe-me"),
            ]
        )
    finally:
        await client._http_client._http_client.aclose()
    # THEN both are stored, in order
    assert len(ids) == 2
    names = [app.events.get(i).name for i in ids]  # type: ignore[union-attr]
    assert names == ["test/greet", "test/other"]


def test_a_wrong_key_surfaces_our_message_in_the_sdk_error(make_client: MakeClient) -> None:
    client = make_client(event_key="not-the-key")
    with pytest.raises(SendEventsError, match="unknown event key"):
        client.send_sync(inngest.Event(name="test/greet"))


def test_dev_server_mode_without_a_key_is_refused_clearly(make_client: MakeClient) -> None:
    # GIVEN the client in Inngest dev-server mode with no event key (it then sends a placeholder)
    client = make_client(event_key=None, is_production=False)
    # THEN the send fails with our explanation, not silently
    with pytest.raises(SendEventsError, match="STEPSTREAM_EVENT_KEY"):
        client.send_sync(inngest.Event(name="test/greet"))


def test_the_sdk_sees_a_validation_error_by_field(make_client: MakeClient, app: Stepstream) -> None:
    client = make_client()
    with pytest.raises(SendEventsError, match=r"event\[1\]\.name"):
        client.send_sync([inngest.Event(name="test/greet"), inngest.Event(name="a" * 300)])
    assert app.events.recent(limit=5) == []
