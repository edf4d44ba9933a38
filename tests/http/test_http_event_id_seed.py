"""A retried send is not a second send: events without an id get ids from the Inngest SDKs'
``x-inngest-event-id-seed`` header, so a resent request dedupes."""

from __future__ import annotations

import base64
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import inngest

from stepstream import Stepstream

from ._http_support import AUTH, EVENT_KEY

SEED_HEADER = "x-inngest-event-id-seed"


def _seed(millis: int = 1_795_318_200_000) -> str:
    return f"{millis},{base64.b64encode(os.urandom(10)).decode()}"


def test_a_resent_request_returns_the_same_ids_and_starts_no_second_run(
    client: httpx.Client, app: Stepstream
) -> None:
    # GIVEN a request of two id-less events with a seed, sent twice (a retry)
    headers = {SEED_HEADER: _seed()}
    body = [{"name": "test/greet", "data": {"who": "x"}}, {"name": "test/greet"}]
    first = client.post(f"/e/{EVENT_KEY}", json=body, headers=headers).json()["ids"]
    second = client.post(f"/e/{EVENT_KEY}", json=body, headers=headers).json()["ids"]
    # THEN both sends name the same two distinct, ULID-shaped ids
    assert first == second
    assert len(set(first)) == 2
    assert all(len(i) == 26 for i in first)
    # AND each event started one run, not two
    for event_id in first:
        assert len(client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]) == 1
    assert len(app.runs.recent(limit=10)) == 2


def test_explicit_ids_win_and_other_seeds_give_other_ids(client: httpx.Client) -> None:
    body = [{"name": "test/other", "id": "mine"}, {"name": "test/other"}]
    one = client.post(f"/e/{EVENT_KEY}", json=body, headers={SEED_HEADER: _seed()}).json()["ids"]
    two = client.post(f"/e/{EVENT_KEY}", json=body, headers={SEED_HEADER: _seed()}).json()["ids"]
    assert one[0] == two[0] == "mine"
    assert one[1] != two[1]


def test_a_malformed_seed_is_ignored(client: httpx.Client) -> None:
    for seed in (
        "nonsense",
        "12,not-base64!",
        f"-5,{base64.b64encode(b'x' * 10).decode()}",
        "1,AAAA",
    ):
        answer = client.post(
            f"/e/{EVENT_KEY}", json={"name": "test/other"}, headers={SEED_HEADER: seed}
        )
        assert answer.status_code == 200, seed
        assert len(answer.json()["ids"][0]) == 26


@contextmanager
def answer_dropping_proxy(upstream: str) -> Iterator[str]:
    """A TCP proxy to ``upstream`` that forwards the first request but closes the connection
    instead of relaying its answer: the request happened, the client never heard."""
    target = urlsplit(upstream)
    listener = socket.create_server(("127.0.0.1", 0))
    dropped = threading.Event()

    def read_message(sock: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += sock.recv(65536)
        return head + b"\r\n\r\n" + rest

    def serve_one(downstream: socket.socket) -> None:
        with downstream, socket.create_connection((target.hostname, target.port)) as up:
            while request := read_message(downstream):
                up.sendall(request)
                response = read_message(up)
                if not dropped.is_set():
                    dropped.set()
                    return  # close without answering
                downstream.sendall(response)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_the_official_client_retrying_a_lost_answer_starts_one_run(
    base_url: str, client: httpx.Client, app: Stepstream
) -> None:
    # GIVEN the official client behind a connection that loses the first answer
    with answer_dropping_proxy(base_url) as proxied:
        sdk = inngest.Inngest(
            app_id="http-tests", event_key=EVENT_KEY, event_api_base_url=proxied, is_production=True
        )
        try:
            # WHEN it sends an id-less event (stored on the first attempt, answer lost)
            [event_id] = sdk.send_sync(inngest.Event(name="test/greet", data={"who": "once"}))
        finally:
            # The SDK has no close(); without this its pooled connection leaks (ResourceWarning).
            sdk._http_client._http_client_sync.close()
    # THEN its retry was recognised: one event, one run
    assert [e.id for e in app.events.recent(limit=10)] == [event_id]
    assert len(client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]) == 1
