"""GIVEN a token signed with the right key but whose ``exp`` or ``iat`` is not a plain, near
integer (a digit string, 10^30, a float), or whose text is not ASCII (a lone surrogate)
WHEN it is verified
THEN it is refused as malformed; a lone surrogate never escapes as a UnicodeEncodeError."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from stepstream.realtime import TokenError
from stepstream.realtime._secrets import KeyRing
from stepstream.realtime._tokens import verify_token

SECRET = "s" * 40
RING = KeyRing("v1", {"v1": SECRET})


def _signed(**overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "stepstream",
        "aud": "stepstream-realtime",
        "sub": "app",
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
        "channel": "ai:1",
        "topics": ["tokens"],
    }
    claims.update(overrides)
    return jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "v1"})


def _code(token: str) -> str:
    with pytest.raises(TokenError) as caught:
        verify_token(token, ring=RING)
    return caught.value.code


# Claims are made when the test runs, not when it is collected: a long suite would otherwise
# sign an "exp in a minute" that has already passed.
@pytest.mark.parametrize(
    "exp",
    [
        pytest.param(lambda: str(int(time.time()) + 60), id="digit string"),
        pytest.param(lambda: 10**30, id="past any lifetime"),
        pytest.param(lambda: int(time.time()) + 3 * 60 * 60, id="longer than a token lives"),
        pytest.param(lambda: float(int(time.time()) + 60), id="float"),
    ],
)
def test_exp_that_is_not_a_near_integer_is_refused(exp: Callable[[], object]) -> None:
    assert _code(_signed(exp=exp())) == "malformed"


@pytest.mark.parametrize(
    "iat",
    [
        pytest.param(lambda: str(int(time.time())), id="digit string"),
        pytest.param(lambda: 10**30, id="far future"),
        pytest.param(lambda: 1.5, id="float"),
    ],
)
def test_iat_that_is_not_a_plain_integer_is_refused(iat: Callable[[], object]) -> None:
    assert _code(_signed(iat=iat())) == "malformed"


@pytest.mark.parametrize("token", ["\ud800", "ey\udfff.x.y", "é.é.é", "\x00"])
def test_non_ascii_tokens_are_malformed(token: str) -> None:
    assert _code(token) == "malformed"


def test_a_plain_token_still_verifies() -> None:
    assert verify_token(_signed(), ring=RING).channel == "ai:1"
