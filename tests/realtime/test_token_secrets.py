"""The JWT secret read from Secrets Manager or SSM (moto over HTTP) through Powertools, cached,
with rotation by kid."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from stepstream import aws as _aws
from stepstream.local import Provisioned
from stepstream.realtime import TokenError, mint_token, verify_token
from stepstream.realtime._secrets import reset_secret_cache

OLD = "o" * 48
NEW = "n" * 48


@pytest.fixture(autouse=True)
def fresh_cache(aws: Provisioned) -> Iterator[None]:
    reset_secret_cache()
    yield
    reset_secret_cache()


def test_secrets_manager_secret_with_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    sm = _aws.client("secretsmanager")
    arn = sm.create_secret(Name="jwt-a", SecretString=OLD)["ARN"]
    monkeypatch.setenv("STEPSTREAM_JWT_SECRET_ARN", arn)
    old_token = mint_token(app_id="a", channel="c", topics=["t"])
    assert verify_token(old_token).channel == "c"

    # rotate: new current secret, the old one still accepted under its kid
    rotated = {"kid": "v2", "secret": NEW, "previous": [{"kid": "v1", "secret": OLD}]}
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))
    reset_secret_cache()  # a container picks it up when the cache expires
    new_token = mint_token(app_id="a", channel="c", topics=["t"])
    assert verify_token(old_token).channel == "c"
    assert verify_token(new_token).channel == "c"

    # retire the old secret: its tokens are refused by kid
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"kid": "v2", "secret": NEW}))
    reset_secret_cache()
    with pytest.raises(TokenError) as caught:
        verify_token(old_token)
    assert caught.value.code == "unknown_key"


def test_ssm_parameter_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    ssm = _aws.client("ssm")
    ssm.put_parameter(Name="/stepstream/jwt", Value=OLD, Type="SecureString")
    monkeypatch.setenv("STEPSTREAM_JWT_SECRET_PARAM", "/stepstream/jwt")
    token = mint_token(app_id="a", channel="c", topics=["t"])
    # a change is not seen until the cache expires: the old secret still verifies
    ssm.put_parameter(Name="/stepstream/jwt", Value=NEW, Type="SecureString", Overwrite=True)
    assert verify_token(token).app_id == "a"
    reset_secret_cache()
    with pytest.raises(TokenError) as caught:
        verify_token(token)
    assert caught.value.code == "bad_signature"
