"""GIVEN a real HTTP server on a socket WHEN ``ConnectionsApi`` posts through its fast path
THEN it signs, retries and reports like boto3's ``post_to_connection``, and the client's hooks
(cost ledger, request counters) see every post."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from stepstream import aws as _aws
from stepstream.cost import Ledger, charging
from stepstream.store import ConnectionsApi, _fast_post

KB = 1024


class _Server:
    """Answers each POST with the next scripted status; records what it was sent."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.seen: list[tuple[str, dict[str, str], bytes]] = []
        self.close_after_each = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.seen.append((self.path, dict(self.headers.items()), body))
                status = server.script.pop(0) if server.script else 200
                payload = b"" if status == 200 else b'{"message": "scripted"}'
                self.send_response(status)
                if status != 200:
                    errors = {410: "GoneException", 413: "PayloadTooLargeException"}
                    self.send_header("x-amzn-ErrorType", errors.get(status, "InternalError"))
                self.send_header("Content-Length", str(len(payload)))
                if server.close_after_each:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stage"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFASTPOST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(_fast_post, "MAX_BACKOFF", 0.0)  # retries without waiting
    _aws.reset_clients()
    running = _Server()
    running.thread.start()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()
    _aws.reset_clients()


def test_a_post_is_a_signed_request_to_the_stage_path(server: _Server) -> None:
    api = ConnectionsApi(server.url)
    assert api.post("abc=", b'{"hi":1}') is True
    [(path, headers, body)] = server.seen
    assert path == "/stage/@connections/abc%3D"
    assert body == b'{"hi":1}'
    headers = {name.lower(): value for name, value in headers.items()}
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDFASTPOST/")
    assert "/us-east-1/execute-api/aws4_request" in headers["authorization"]
    assert headers["host"] == server.url.split("/")[2]


def test_gone_is_false_and_other_errors_are_the_clients_exceptions(server: _Server) -> None:
    api = ConnectionsApi(server.url)
    server.script = [410, 413]
    assert api.post("gone=", b"x") is False
    with pytest.raises(ClientError) as error:
        api.post("big=", b"x")
    assert error.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert type(error.value).__name__ == "PayloadTooLargeException"
    assert len(server.seen) == 2  # neither is retried


def test_throttling_and_server_errors_are_retried_up_to_five_attempts(server: _Server) -> None:
    api = ConnectionsApi(server.url)
    server.script = [429, 503]
    assert api.post("a=", b"x") is True
    assert [h["amz-sdk-request"] for _, h, _ in server.seen] == [
        "attempt=1; max=5",
        "attempt=2; max=5",
        "attempt=3; max=5",
    ]
    server.seen.clear()
    server.script = [500] * 5
    with pytest.raises(ClientError) as error:
        api.post("a=", b"x")
    assert error.value.response["ResponseMetadata"]["RetryAttempts"] == 4
    assert len(server.seen) == 5


def test_a_connection_the_server_closed_is_made_again(server: _Server) -> None:
    api = ConnectionsApi(server.url)
    server.close_after_each = True
    assert [api.post(f"c{n}=", b"x") for n in range(3)] == [True, True, True]
    assert len(server.seen) == 3


def test_the_cost_ledger_and_request_hooks_see_each_post(server: _Server) -> None:
    seen: list[str] = []
    events = _aws.session().events
    events.register(
        "before-call.apigatewaymanagementapi",
        lambda model, **_: seen.append(model.name),
        unique_id="t-fast",
    )
    _aws.client.cache_clear()
    try:
        with charging(Ledger("r")) as ledger:
            assert ledger is not None
            assert ConnectionsApi(server.url).post("a=", b"y" * (32 * KB + 1)) is True
    finally:
        events.unregister("before-call.apigatewaymanagementapi", unique_id="t-fast")
    assert ledger.counts() == {"websocket_messages": 1, "websocket_units": 2}
    assert seen == ["PostToConnection"]


@pytest.mark.parametrize("url", ["ftp://example.com/stage", "not a url"])
def test_an_endpoint_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        _fast_post.FastPost(url)


def test_the_cached_signing_key_signs_as_botocore_does() -> None:
    from botocore.auth import SigV4Auth
    from botocore.credentials import Credentials

    request = _fast_post._Signable("https://h/s/@connections/a", b"x", "h", {})
    for day in ("20260101T000000Z", "20260102T000000Z", "20260101T000000Z"):
        request.context["timestamp"] = day
        for secret in ("one", "two"):
            credentials = Credentials("AKID", secret)
            ours = _fast_post._SigV4(credentials, "execute-api", "eu-west-1")
            theirs = SigV4Auth(credentials, "execute-api", "eu-west-1")
            assert ours.signature("to sign", request) == theirs.signature(
                "to sign", cast(Any, request)
            )
