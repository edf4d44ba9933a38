"""Subscription tokens: short-lived HS256 JWTs naming exactly one channel and its topics.

Claims: ``iss`` ``stepstream``, ``aud`` ``stepstream-realtime``, ``sub`` the app id, ``iat``,
``exp``, ``jti``, ``channel`` and ``topics``. The header's ``kid`` picks the secret (see
``_secrets``). Verification trusts nothing in the token before the signature is checked with
a secret chosen by us: the algorithm is fixed to HS256, so ``alg: none`` or an RS/HS confusion
is refused outright.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from ._channel import Channel, check_channel_name
from ._secrets import KeyRing, key_ring
from ._topic import check_name

ISSUER = "stepstream"
AUDIENCE = "stepstream-realtime"
ALGORITHM = "HS256"
DEFAULT_EXPIRES_IN = 60
MAX_EXPIRES_IN = 2 * 60 * 60
MAX_TOPICS = 64
MAX_TOKEN_BYTES = 8192
_LEEWAY = 5  # seconds of clock skew tolerated between minting and verifying hosts


class TokenError(Exception):
    """A token that must be refused. ``code`` is one of ``missing``, ``malformed``,
    ``bad_signature``, ``expired``, ``bad_algorithm``, ``wrong_audience``, ``unknown_key``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token allows."""

    app_id: str
    """The app that minted it (``sub``)."""
    channel: str
    """The one channel it grants."""
    topics: frozenset[str]
    """The topics of that channel it grants."""
    expires_at: int
    """Epoch seconds after which it is refused at connect or ``sub``."""
    jti: str
    """Its unique id."""


def check_topics(topics: Sequence[str]) -> list[str]:
    if isinstance(topics, str):
        raise ValueError("topics must be a list of topic names, not one string")
    names = list(dict.fromkeys(topics))
    if not names:
        raise ValueError("a token needs at least one topic")
    if len(names) > MAX_TOPICS:
        raise ValueError(f"{len(names)} topics in one token; the limit is {MAX_TOPICS}")
    for name in names:
        check_name(name, "topic")
    return names


def mint_token(
    *,
    app_id: str,
    channel: str,
    topics: Sequence[str],
    expires_in: int = DEFAULT_EXPIRES_IN,
    ring: KeyRing | None = None,
) -> str:
    """A signed token for ``channel`` and ``topics`` (raises ``ValueError`` on bad input)."""
    check_channel_name(channel)
    names = check_topics(topics)
    if isinstance(expires_in, bool) or not 0 < int(expires_in) <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in must be 1-{MAX_EXPIRES_IN} seconds, not {expires_in!r}")
    ring = ring or key_ring()
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": app_id,
        "iat": now,
        "exp": now + int(expires_in),
        "jti": uuid.uuid4().hex,
        "channel": channel,
        "topics": names,
    }
    return jwt.encode(claims, ring.current, algorithm=ALGORITHM, headers={"kid": ring.kid})


def verify_token(token: str, *, ring: KeyRing | None = None) -> TokenClaims:
    """The token's claims if it is genuine, current and well formed; :class:`TokenError` if not."""
    if not isinstance(token, str) or not token.strip():
        raise TokenError("missing", "no token; connect with ?token=<jwt> or a Bearer header")
    token = token.strip()
    if not token.isascii():  # a JWT is base64url and dots; a lone surrogate cannot even encode
        raise TokenError("malformed", "the token is not a JWT (it has non-ASCII characters)")
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenError("malformed", f"the token is longer than {MAX_TOKEN_BYTES} bytes")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("malformed", f"the token is not a JWT ({exc})") from exc
    if header.get("alg") != ALGORITHM:
        raise TokenError("bad_algorithm", f"the token must be signed {ALGORITHM}")
    ring = ring or key_ring()
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in ring.secrets:
        raise TokenError("unknown_key", "the token's key id is not one this deployment accepts")
    try:
        claims = jwt.decode(
            token,
            ring.secrets[kid],
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=_LEEWAY,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("expired", "the token has expired; fetch a new one") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("bad_signature", "the token's signature does not verify") from exc
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
        raise TokenError("wrong_audience", f"the token is not a realtime token ({exc})") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("malformed", f"the token is not valid ({exc})") from exc
    return _claims(claims)


def _check_times(claims: dict[str, Any]) -> None:
    """PyJWT takes ``"1795626343"`` and ``1e30`` as times; we mint only small integers, and no
    token lives longer than ``MAX_EXPIRES_IN``, so anything else is refused."""
    exp, iat = claims["exp"], claims["iat"]
    for name, value in (("exp", exp), ("iat", iat)):
        if type(value) is not int:
            raise TokenError("malformed", f"the token's {name} must be an integer (epoch seconds)")
    if exp - iat > MAX_EXPIRES_IN or exp > int(time.time()) + MAX_EXPIRES_IN + _LEEWAY:
        raise TokenError("malformed", f"the token lives longer than {MAX_EXPIRES_IN} seconds")


def _claims(claims: dict[str, Any]) -> TokenClaims:
    _check_times(claims)
    channel, topics = claims.get("channel"), claims.get("topics")
    try:
        check_channel_name(channel)
        names = check_topics(topics if isinstance(topics, list) else [])
    except ValueError as exc:
        raise TokenError("malformed", f"the token's channel or topics are invalid: {exc}") from exc
    if not isinstance(claims["sub"], str) or not isinstance(claims["jti"], str):
        raise TokenError("malformed", "the token's sub and jti must be strings")
    return TokenClaims(
        app_id=claims["sub"],
        channel=channel,  # type: ignore[arg-type]  # checked above
        topics=frozenset(names),
        expires_at=int(claims["exp"]),
        jti=claims["jti"],
    )


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def get_subscription_token(
    app: _HasId,
    *,
    channel: Channel | str,
    topics: Sequence[str],
    expires_in: int = DEFAULT_EXPIRES_IN,
) -> dict[str, Any]:
    """A token for server code to hand to a browser: ``{"channel", "topics", "key"}``.

    Topics must be ones the channel defines when ``channel`` is a :class:`Channel`."""
    name = channel.name if isinstance(channel, Channel) else channel
    names = check_topics(topics)
    if isinstance(channel, Channel):
        unknown = [t for t in names if t not in channel.topics]
        if unknown:
            raise ValueError(
                f"channel {name!r} has no topic(s) {unknown}; its topics are "
                f"{sorted(channel.topics)}"
            )
    key = mint_token(app_id=app.id, channel=name, topics=names, expires_in=expires_in)
    return {"channel": name, "topics": names, "key": key}
