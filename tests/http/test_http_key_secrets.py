"""GIVEN the event and signing keys in Secrets Manager (as the template deploys them) WHEN
requests arrive THEN the API reads the keys at run time through the cache, never from the
environment, and a rotation takes effect without a deploy: the new key as soon as the cache
expires, the old one for as long as the secret still lists it as ``previous``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from stepstream import aws as _aws
from stepstream.http import create_api
from stepstream.local import Provisioned
from stepstream.realtime._secrets import reset_secret_cache
from tests.support.serve import serve

from ._http_support import make_app

OLD_EVENT_KEY = "old-event-key-" + "a" * 20
NEW_EVENT_KEY = "new-event-key-" + "b" * 20
HEX = "cd" * 32


@pytest.fixture
def base_url(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "stepstream-ApiFunction")
    monkeypatch.delenv("STEPSTREAM_EVENT_KEY", raising=False)
    monkeypatch.delenv("STEPSTREAM_SIGNING_KEY", raising=False)
    reset_secret_cache()
    with serve(create_api(make_app())) as url:
        yield url
    reset_secret_cache()


def _secret(name: str, value: str) -> str:
    arn: str = _aws.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
    return arn


def _send(url: str, key: str) -> int:
    return httpx.post(f"{url}/e/{key}", json={"name": "test/greet", "data": {}}).status_code


def test_event_key_is_read_from_its_secret_and_rotates_without_a_deploy(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _secret("event-key", OLD_EVENT_KEY)
    monkeypatch.setenv("STEPSTREAM_EVENT_KEY_SECRET_ARN", arn)
    assert _send(base_url, OLD_EVENT_KEY) == 200
    assert _send(base_url, NEW_EVENT_KEY) == 401

    # Rotation, step 1: the new key is current and the old one still accepted.
    rotating = {"key": NEW_EVENT_KEY, "previous": [OLD_EVENT_KEY]}
    _aws.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=json.dumps(rotating))
    assert _send(base_url, NEW_EVENT_KEY) == 401  # cached until SECRET_MAX_AGE passes
    reset_secret_cache()  # what the cache's expiry does in a container
    assert _send(base_url, NEW_EVENT_KEY) == 200
    assert _send(base_url, OLD_EVENT_KEY) == 200

    # Step 2, once every client sends the new key: the old one is refused.
    _aws.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=NEW_EVENT_KEY)
    reset_secret_cache()
    assert _send(base_url, OLD_EVENT_KEY) == 401


def test_a_generated_signing_key_secret_holds_the_hex_part(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY_SECRET_ARN", _secret("signing-key", HEX))
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY_ENV", "prod")
    key = f"signkey-prod-{HEX}"

    ok = httpx.get(f"{base_url}/v1/runs/missing", headers={"Authorization": f"Bearer {key}"})
    refused = httpx.get(f"{base_url}/v1/runs/missing", headers={"Authorization": f"Bearer {HEX}"})

    assert ok.status_code == 404
    assert refused.status_code == 401


def test_a_missing_env_for_a_hex_only_signing_key_says_what_to_set(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY_SECRET_ARN", _secret("signing-key-2", HEX))

    answer = httpx.get(f"{base_url}/v1/runs/missing", headers={"Authorization": "Bearer x"})

    assert answer.status_code == 500
    assert "STEPSTREAM_SIGNING_KEY_ENV" in answer.json()["error"]


def test_the_development_key_in_the_secret_is_still_refused_on_lambda(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_EVENT_KEY_SECRET_ARN", _secret("dev-key", "dev-event-key"))

    assert _send(base_url, "dev-event-key") == 401
