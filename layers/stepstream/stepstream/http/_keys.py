"""The event key and the signing key this deployment accepts, read when a request needs them.

Locally they come from the environment (``STEPSTREAM_EVENT_KEY``/``STEPSTREAM_SIGNING_KEY``, or
the development keys). On AWS the template gives only the API and token functions the ARNs of the
secrets holding them (``STEPSTREAM_*_KEY_SECRET_ARN``), and they are read through Powertools
parameters with a cache, so a new value reaches every container within ``SECRET_MAX_AGE`` seconds
and no key ever sits in a function's configuration.

A secret holds the key as a plain string, or during a rotation as JSON
``{"key": "<new>", "previous": ["<old>", ...]}``: the listed keys are all accepted, so clients can
move to the new key before the old one is dropped. A signing-key secret may hold only the hex part
(a generated one does); the key is then ``signkey-<STEPSTREAM_SIGNING_KEY_ENV>-<hex>``.
"""

from __future__ import annotations

import json

from .._config import Settings
from ..realtime._secrets import SecretConfigError, secret_string


def _keys_in(value: str, arn: str) -> list[str]:
    if not value.startswith("{"):
        return [value]
    try:
        document = json.loads(value)
    except ValueError as exc:
        raise SecretConfigError(f"the secret {arn} looks like JSON but is not: {exc}") from exc
    current = document.get("key") if isinstance(document, dict) else None
    previous = document.get("previous", []) if isinstance(document, dict) else None
    if not isinstance(current, str) or not current.strip() or not isinstance(previous, list):
        raise SecretConfigError(
            f'the secret {arn} must be a key or {{"key": "<key>", "previous": ["<key>", ...]}}'
        )
    if not all(isinstance(p, str) and p.strip() for p in previous):
        raise SecretConfigError(f'the secret {arn}: "previous" must list non-empty strings')
    return [k.strip() for k in [current, *previous]]


def event_keys(settings: Settings) -> list[str]:
    """Every accepted event key, the current one first."""
    if not settings.event_key_secret_arn:
        return [settings.event_key]
    arn = settings.event_key_secret_arn
    return _keys_in(secret_string(arn), arn)


def signing_keys(settings: Settings) -> list[str]:
    """Every accepted signing key (``signkey-<env>-<hex>``), the current one first."""
    if not settings.signing_key_secret_arn:
        return [settings.signing_key]
    arn = settings.signing_key_secret_arn
    keys = []
    for key in _keys_in(secret_string(arn), arn):
        if not key.startswith("signkey-"):
            if not settings.signing_key_env:
                raise SecretConfigError(
                    f"the secret {arn} holds only the hex part of the signing key; set "
                    "STEPSTREAM_SIGNING_KEY_ENV to the key's <env> (the template's Stage)"
                )
            key = f"signkey-{settings.signing_key_env}-{key}"
        keys.append(key)
    return keys
