"""POST /v1/realtime/token: Inngest's request shape, the signing key, the authorize hook, and
hostile input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from stepstream import Stepstream
from stepstream.config import DEV_SIGNING_KEY
from stepstream.http import token_api
from stepstream.http._auth import hashed_signing_key
from stepstream.realtime import TokenRequest, verify_token
from tests.support.serve import serve

AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}


def _body(channel: str = "ai:1", *topics: str) -> list[dict[str, str]]:
    return [{"channel": channel, "name": t, "kind": "run"} for t in topics or ("tokens",)]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Stepstream:
    monkeypatch.delenv("STEPSTREAM_SIGNING_KEY", raising=False)
    monkeypatch.delenv("STEPSTREAM_JWT_SECRET_ARN", raising=False)
    monkeypatch.delenv("STEPSTREAM_JWT_SECRET_PARAM", raising=False)
    return Stepstream(id="token-tests")


@pytest.fixture
def client(app: Stepstream) -> Iterator[httpx.Client]:
    with serve(token_api(app)) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


def test_signing_key_gets_a_token_for_exactly_what_was_asked(client: httpx.Client) -> None:
    # GIVEN the request the official SDK sends, WHEN posted with the raw signing key
    answer = client.post("/v1/realtime/token", json=_body("ai:1", "tokens", "status"), headers=AUTH)
    # THEN a 201 carries a JWT for that one channel and those topics
    assert answer.status_code == 201, answer.text
    claims = verify_token(answer.json()["jwt"])
    assert claims.channel == "ai:1"
    assert claims.topics == frozenset({"tokens", "status"})
    assert claims.app_id == "token-tests"
    assert answer.json()["key"] == answer.json()["jwt"]
    assert answer.json()["topics"] == ["tokens", "status"]


def test_the_short_object_shape_is_accepted(client: httpx.Client) -> None:
    body = {"channel": "demo", "topics": ["messages"]}
    answer = client.post("/v1/realtime/token", json=body, headers=AUTH)
    assert answer.status_code == 201, answer.text
    assert answer.json()["channel"] == "demo"
    assert verify_token(answer.json()["key"]).topics == frozenset({"messages"})


@pytest.mark.parametrize("keep_prefix", [True, False])
def test_hashed_signing_key_is_accepted(client: httpx.Client, keep_prefix: bool) -> None:
    hashed = hashed_signing_key(DEV_SIGNING_KEY, keep_prefix=keep_prefix)
    answer = client.post(
        "/v1/realtime/token", json=_body(), headers={"Authorization": f"Bearer {hashed}"}
    )
    assert answer.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer signkey-dev-" + "0" * 63 + "2"},
        {"Authorization": f"Basic {DEV_SIGNING_KEY}"},
        {"Authorization": "Bearer"},
    ],
)
def test_no_or_wrong_key_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    answer = client.post("/v1/realtime/token", json=_body(), headers=headers)
    assert answer.status_code == 401
    assert "signing key" in answer.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b"[]", 400, "non-empty"),
        (b'{"channel":"a","name":"b"}', 400, "list 'topics'"),
        (b'{"channel":"a","topics":[]}', 400, "non-empty"),
        (b'"text"', 400, "non-empty JSON list"),
        (b"[5]", 400, "must be an object"),
        (b'[{"channel":"a"}]', 400, "'name'"),
        (b'[{"channel":"a","name":"t","kind":"step"}]', 400, "only 'run'"),
        (json.dumps(_body("a") + _body("b")).encode(), 400, "one channel"),
        (json.dumps(_body("a", *[f"t{i}" for i in range(65)])).encode(), 400, "at most 64"),
        (json.dumps(_body("a", "bad topic")).encode(), 400, "topic name"),
        (json.dumps(_body("x" * 300)).encode(), 400, "channel name"),
        (b"[" + b" " * 20_000 + b"]", 413, "limit"),
    ],
)
def test_malformed_requests_say_what_is_wrong(
    client: httpx.Client, body: bytes, status: int, says: str
) -> None:
    answer = client.post(
        "/v1/realtime/token",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]


def test_a_custom_hook_can_allow_and_deny_per_channel(app: Stepstream) -> None:
    seen: list[TokenRequest] = []

    @app.realtime.authorizer
    async def allow_own_channel(request: TokenRequest) -> bool:
        seen.append(request)
        return request.channel == f"user:{request.headers.get('x-user')}"

    with serve(token_api(app)) as url, httpx.Client(base_url=url) as http:
        # no signing key at all, but the hook allows the user's own channel
        own = http.post("/v1/realtime/token", json=_body("user:ann"), headers={"X-User": "ann"})
        other = http.post("/v1/realtime/token", json=_body("user:bob"), headers={"X-User": "ann"})
        # the hook replaces the default: even the signing key no longer suffices
        keyed = http.post("/v1/realtime/token", json=_body("user:bob"), headers=AUTH)
    assert own.status_code == 201
    assert verify_token(own.json()["jwt"]).channel == "user:ann"
    assert other.status_code == 401
    assert keyed.status_code == 403
    assert [r.signing_key_ok for r in seen] == [False, False, True]


def test_a_hook_that_returns_something_truthy_but_not_true_denies(app: Stepstream) -> None:
    app.realtime.authorize = lambda request: "yes"  # type: ignore[assignment, return-value]
    with serve(token_api(app)) as url, httpx.Client(base_url=url) as http:
        assert http.post("/v1/realtime/token", json=_body(), headers=AUTH).status_code == 403
