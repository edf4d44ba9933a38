"""Who may call what.

- ``POST /e/{event_key}``: the event key in the path (Inngest's event API).
- every ``/v1`` route: ``Authorization: Bearer <signing key>``. The key is accepted raw, or in
  the hashed form Inngest SDKs send: the key's hex part decoded to bytes, SHA-256'd, hex-encoded,
  with the ``signkey-<env>-`` prefix kept (TypeScript SDK) or dropped (Python SDK). A hash is all
  the SDKs put on the wire, so a leaked request log does not leak the key itself.

Nothing is relaxed for local development: the local stack uses the fixed development keys from
``stepstream._config`` and sends them like any client. On Lambda the development keys are refused
outright, so a stack deployed without real keys is closed rather than open to anyone who has read
this source.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .._config import DEV_EVENT_KEY, DEV_SIGNING_KEY, Settings
from ..realtime._secrets import SecretConfigError
from ._errors import ApiError
from ._keys import event_keys, signing_keys

_PREFIX = re.compile(r"^signkey-\w+?-")
_BEARER_HINT = "send 'Authorization: Bearer <signing key>' (the raw key or its Inngest hash)"


def hashed_signing_key(key: str, *, keep_prefix: bool = True) -> str:
    """The form Inngest SDKs send: ``signkey-<env>-`` + sha256(bytes.fromhex(rest))."""
    match = _PREFIX.match(key)
    prefix = match.group(0) if match else ""
    digest = hashlib.sha256(bytes.fromhex(key[len(prefix) :])).hexdigest()
    return (prefix if keep_prefix else "") + digest


def accepted_tokens(signing_key: str) -> list[str]:
    """Every bearer token that proves possession of ``signing_key``."""
    tokens = [signing_key]
    try:
        tokens += [
            hashed_signing_key(signing_key),
            hashed_signing_key(signing_key, keep_prefix=False),
        ]
    except ValueError:
        pass  # not hex after the prefix: only the raw form can be presented
    return tokens


def _on_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _refuse_dev_key_on_lambda(key: str, dev_key: str, variable: str) -> None:
    if _on_lambda() and key == dev_key:
        raise ApiError(
            401,
            f"this deployment still uses the development {variable}; "
            f"set {variable} to a secret value and redeploy",
        )


def accepted_signing_tokens(settings: Settings) -> list[str]:
    """Every bearer token that proves possession of an accepted signing key (the current one and
    those a rotation still lists); refuses the development key on Lambda."""
    keys = _read(signing_keys, settings, "signing key")
    _refuse_dev_key_on_lambda(keys[0], DEV_SIGNING_KEY, "STEPSTREAM_SIGNING_KEY")
    return [token for key in keys for token in accepted_tokens(key)]


def _read(read: Callable[[Settings], list[str]], settings: Settings, what: str) -> list[str]:
    try:
        return read(settings)
    except SecretConfigError as exc:
        raise ApiError(500, f"this deployment's {what} is misconfigured: {exc}") from exc


def _matches(presented: str, tokens: list[str]) -> bool:
    # Compare against every form without stopping early, so timing says nothing about which
    # form (or how much of one) matched.
    found = False
    for token in tokens:
        found |= hmac.compare_digest(presented.encode(), token.encode())
    return found


# Declares the scheme in the OpenAPI schema; the checks below read the header themselves so each
# refusal can say exactly what was wrong.
_BEARER = HTTPBearer(
    auto_error=False,
    description="The signing key, raw or hashed as the Inngest SDKs send it.",
)


def require_signing_key(
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """FastAPI dependency guarding the ``/v1`` routes."""
    tokens = accepted_signing_tokens(Settings.from_env())
    if not authorization:
        raise ApiError(401, f"missing Authorization header; {_BEARER_HINT}", _CHALLENGE)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, f"Authorization is not a bearer token; {_BEARER_HINT}", _CHALLENGE)
    if not _matches(token.strip(), tokens):
        raise ApiError(
            401,
            f"the bearer token is not this deployment's signing key; {_BEARER_HINT}",
            _CHALLENGE,
        )


def check_event_key(event_key: str) -> None:
    """Refuse an event key that is not this deployment's."""
    keys = _read(event_keys, Settings.from_env(), "event key")
    _refuse_dev_key_on_lambda(keys[0], DEV_EVENT_KEY, "STEPSTREAM_EVENT_KEY")
    if not _matches(event_key, keys):
        raise ApiError(
            401,
            "unknown event key; send events to /e/<event key> with the key configured as "
            "STEPSTREAM_EVENT_KEY",
        )


_CHALLENGE = {"WWW-Authenticate": "Bearer"}

SigningKeyAuth = Depends(require_signing_key)
"""Add to a router's ``dependencies`` to require the signing key on all of its routes."""


def _no_store(response: Response) -> None:
    # Signed answers carry run outputs and event data: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"


NoStore = Depends(_no_store)
"""Add to a router's ``dependencies`` next to ``SigningKeyAuth``."""
