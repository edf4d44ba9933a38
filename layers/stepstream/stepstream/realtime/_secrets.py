"""Where the JWT secret comes from: Secrets Manager, SSM, or (locally) the environment.

The stored value is either a plain string (key id ``v1``) or JSON
``{"kid": "v2", "secret": "...", "previous": [{"kid": "v1", "secret": "..."}]}``: tokens are
signed with the current secret and verified with any listed one, so a secret can be rotated
without refusing tokens minted a minute before. Values are read through Powertools parameters,
which cache them for ``SECRET_MAX_AGE`` seconds per Lambda container.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities import parameters

from .. import _aws
from .._config import Settings

SECRET_MAX_AGE = 300
"""Seconds a fetched secret is reused before it is read again (rotation takes effect then)."""
DEFAULT_KID = "v1"


@dataclass(frozen=True)
class KeyRing:
    """The current signing secret and every secret still accepted, by key id."""

    kid: str
    """Key id of the secret new tokens are signed with."""
    secrets: dict[str, str]
    """Every accepted secret by key id, the current one included."""

    @property
    def current(self) -> str:
        return self.secrets[self.kid]


class SecretConfigError(Exception):
    """The configured secret cannot be used; the message says what is wrong with it."""


def parse_key_ring(value: str | bytes | dict[str, Any]) -> KeyRing:
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped.startswith("{"):
            return _ring(DEFAULT_KID, stripped, [])
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            raise SecretConfigError(f"the JWT secret looks like JSON but is not: {exc}") from exc
    if not isinstance(value, dict):
        raise SecretConfigError("the JWT secret must be a string or a JSON object")
    previous = value.get("previous") or []
    if not isinstance(previous, list) or not all(isinstance(p, dict) for p in previous):
        raise SecretConfigError('"previous" must be a list of {"kid", "secret"} objects')
    return _ring(
        value.get("kid", DEFAULT_KID),
        value.get("secret"),
        [(p.get("kid"), p.get("secret")) for p in previous],
    )


def _ring(kid: Any, secret: Any, previous: list[tuple[Any, Any]]) -> KeyRing:
    secrets: dict[str, str] = {}
    for k, s in [(kid, secret), *previous]:
        if not isinstance(k, str) or not k:
            raise SecretConfigError("every JWT secret needs a non-empty string kid")
        if not isinstance(s, str) or len(s) < 32:
            raise SecretConfigError(f"the JWT secret for kid {k!r} must be at least 32 characters")
        secrets.setdefault(k, s)
    return KeyRing(kid, secrets)


CACHE_SCOPE: ContextVar[str] = ContextVar("stepstream_secret_cache_scope", default="")
"""Whose cache a read uses. On Lambda every function is its own process with its own cache; the
local stack runs every function in one process and sets this to the acting function, so a secret
one function fetched never hides that another may not read it."""

_providers: dict[tuple[str, str], Any] = {}


def _provider(kind: str) -> Any:
    key = (CACHE_SCOPE.get(), kind)
    if key not in _providers:
        if kind == "secretsmanager":
            client = _aws.client("secretsmanager")
            _providers[key] = parameters.SecretsProvider(boto3_client=client)
        else:
            _providers[key] = parameters.SSMProvider(boto3_client=_aws.client("ssm"))
    return _providers[key]


def reset_secret_cache() -> None:
    """Forget fetched secrets and providers (tests; after changing endpoints)."""
    _providers.clear()


def secret_string(arn: str) -> str:
    """A Secrets Manager secret's current value, fetched at most every ``SECRET_MAX_AGE``
    seconds per container (so a put-secret-value reaches every function without a deploy)."""
    value = _provider("secretsmanager").get(arn, max_age=SECRET_MAX_AGE)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str) or not value.strip():
        raise SecretConfigError(f"the secret {arn} is empty")
    return value.strip()


def key_ring(settings: Settings | None = None) -> KeyRing:
    """The key ring from wherever the settings say the secret lives."""
    settings = settings or Settings.from_env()
    if settings.jwt_secret_arn:
        value = secret_string(settings.jwt_secret_arn)
    elif settings.jwt_secret_param:
        value = _provider("ssm").get(
            settings.jwt_secret_param, max_age=SECRET_MAX_AGE, decrypt=True
        )
    else:
        value = settings.local_jwt_secret
    if value is None:
        raise SecretConfigError("the JWT secret is empty")
    return parse_key_ring(value)
