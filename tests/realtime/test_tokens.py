"""Subscription tokens: minting, and every way a forged or stale token must be refused."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

import jwt
import pytest

from stepstream.realtime import TokenError, channel, get_subscription_token, topic
from stepstream.realtime._secrets import KeyRing, SecretConfigError, parse_key_ring
from stepstream.realtime._tokens import mint_token, verify_token

SECRET = "s" * 40
RING = KeyRing("v1", {"v1": SECRET})


def _mint(**overrides: object) -> str:
    args: dict[str, object] = {"app_id": "app", "channel": "ai:1", "topics": ["tokens"]}
    args.update(overrides)
    return mint_token(ring=RING, **args)  # type: ignore[arg-type]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_minted_token_verifies_to_its_claims() -> None:
    claims = verify_token(_mint(topics=["tokens", "status"]), ring=RING)
    assert claims.app_id == "app"
    assert claims.channel == "ai:1"
    assert claims.topics == frozenset({"tokens", "status"})
    assert 55 <= claims.expires_at - time.time() <= 61
    assert jwt.get_unverified_header(_mint())["kid"] == "v1"


def _code(token: str, ring: KeyRing = RING) -> str:
    with pytest.raises(TokenError) as caught:
        verify_token(token, ring=ring)
    return caught.value.code


def test_alg_none_is_refused() -> None:
    claims = jwt.decode(_mint(), options={"verify_signature": False})
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "v1"}).encode())
    forged = f"{header}.{_b64(json.dumps(claims).encode())}."
    assert _code(forged) == "bad_algorithm"


def test_other_algorithms_are_refused() -> None:
    claims = jwt.decode(_mint(), options={"verify_signature": False})
    token = jwt.encode(claims, SECRET + "x" * 30, algorithm="HS512", headers={"kid": "v1"})
    assert _code(token) == "bad_algorithm"


def test_wrong_key_is_refused() -> None:
    other = KeyRing("v1", {"v1": "t" * 40})
    assert _code(mint_token(app_id="a", channel="c", topics=["t"], ring=other)) == "bad_signature"


def test_expired_is_refused() -> None:
    claims = jwt.decode(_mint(), options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 60
    assert _code(jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "v1"})) == "expired"


def test_tampered_claims_are_refused() -> None:
    header, payload, signature = _mint().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["channel"] = "ai:someone-else"
    claims["topics"] = ["tokens", "secrets"]
    assert _code(f"{header}.{_b64(json.dumps(claims).encode())}.{signature}") == "bad_signature"


def test_wrong_audience_or_issuer_is_refused() -> None:
    claims = jwt.decode(_mint(), options={"verify_signature": False})
    for field, value in (("aud", "something-else"), ("iss", "inngest")):
        forged = {**claims, field: value}
        token = jwt.encode(forged, SECRET, algorithm="HS256", headers={"kid": "v1"})
        assert _code(token) == "wrong_audience"


def test_unknown_or_missing_kid_is_refused() -> None:
    claims = jwt.decode(_mint(), options={"verify_signature": False})
    assert _code(jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "v9"})) == (
        "unknown_key"
    )
    assert _code(jwt.encode(claims, SECRET, algorithm="HS256")) == "unknown_key"


@pytest.mark.parametrize("garbage", ["", "   ", "abc", "a.b.c", "x" * 9000, "e30.e30.e30"])
def test_garbage_is_refused(garbage: str) -> None:
    assert _code(garbage) in {"missing", "malformed", "bad_algorithm"}  # e30 = {} has no alg


def test_missing_claims_or_bad_channel_in_a_signed_token_are_malformed() -> None:
    claims = jwt.decode(_mint(), options={"verify_signature": False})
    changes: list[dict[str, object]] = [
        {"topics": []},
        {"topics": "tokens"},
        {"channel": ""},
        {"sub": 5},
    ]
    for change in changes:
        token = jwt.encode({**claims, **change}, SECRET, algorithm="HS256", headers={"kid": "v1"})
        assert _code(token) == "malformed"
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    assert _code(jwt.encode(no_exp, SECRET, algorithm="HS256", headers={"kid": "v1"})) == (
        "malformed"
    )


def test_rotation_verifies_tokens_of_the_previous_secret() -> None:
    old = _mint()
    rotated = parse_key_ring(
        json.dumps({"kid": "v2", "secret": "n" * 40, "previous": [{"kid": "v1", "secret": SECRET}]})
    )
    assert verify_token(old, ring=rotated).channel == "ai:1"
    new = mint_token(app_id="a", channel="c", topics=["t"], ring=rotated)
    assert jwt.get_unverified_header(new)["kid"] == "v2"
    assert _code(new, RING) == "unknown_key"


@pytest.mark.parametrize(
    "value",
    [
        "short",
        '{"kid": "v2"}',
        '{"secret": 5}',
        "{nope",
        '{"kid":"a","secret":"' + "x" * 40 + '","previous":5}',
    ],
)
def test_unusable_secrets_are_reported(value: str) -> None:
    with pytest.raises(SecretConfigError):
        parse_key_ring(value)


@pytest.mark.parametrize(
    "bad",
    [
        {"topics": []},
        {"topics": "tokens"},
        {"topics": ["t"] * 1 + [f"t{i}" for i in range(64)]},
        {"channel": ""},
        {"expires_in": 0},
        {"expires_in": 3 * 3600},
        {"topics": ["bad topic"]},
    ],
)
def test_minting_refuses_bad_requests(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"topic|channel|expires_in"):
        _mint(**bad)


@dataclass
class _App:
    id: str


def test_get_subscription_token_checks_topics_against_the_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPSTREAM_JWT_SECRET", SECRET)
    ai = (
        channel(lambda run_id: f"ai:{run_id}").add_topic(topic("tokens")).add_topic(topic("result"))
    )
    answer = get_subscription_token(_App("my-app"), channel=ai("r"), topics=["tokens", "result"])
    assert answer["channel"] == "ai:r"
    assert answer["topics"] == ["tokens", "result"]
    assert verify_token(answer["key"]).app_id == "my-app"
    with pytest.raises(ValueError, match="no topic"):
        get_subscription_token(_App("a"), channel=ai("r"), topics=["secrets"])
    plain = get_subscription_token(_App("a"), channel="free", topics=["x"], expires_in=5)
    assert verify_token(plain["key"]).expires_at - time.time() <= 6
