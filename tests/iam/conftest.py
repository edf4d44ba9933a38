"""Fixtures for the IAM tests: the local IAM emulation over moto, with the stack's secrets
created as the template creates them (holding the sample keys of events/env.json)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stepstream import aws as _aws
from stepstream.local import Gateway, Provisioned, RunningGateway, serve_in_thread
from stepstream.local._iam import IamEmulator, local_names
from stepstream.realtime._secrets import reset_secret_cache

from ._iam_support import EVENT_KEY, JWT_SECRET, SIGNING_KEY, STAGE, TEMPLATE, handlers_under_roles


@pytest.fixture
def iam(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[IamEmulator]:
    """Every function's role; the keys live in Secrets Manager and are read through the
    functions' real code paths (the template's per-function variables, set for all)."""
    prefix = aws.tables["StateTable"].removesuffix("StateTable")
    sm = _aws.client("secretsmanager")
    secrets = {
        "JwtSecret": sm.create_secret(Name=f"{prefix}jwt", SecretString=JWT_SECRET)["ARN"],
        "EventKeySecret": sm.create_secret(Name=f"{prefix}event", SecretString=EVENT_KEY)["ARN"],
        "SigningKeySecret": sm.create_secret(
            Name=f"{prefix}signing", SecretString=SIGNING_KEY.removeprefix(f"signkey-{STAGE}-")
        )["ARN"],
    }
    monkeypatch.setenv("STEPSTREAM_JWT_SECRET_ARN", secrets["JwtSecret"])
    monkeypatch.setenv("STEPSTREAM_EVENT_KEY_SECRET_ARN", secrets["EventKeySecret"])
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY_SECRET_ARN", secrets["SigningKeySecret"])
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY_ENV", STAGE)
    reset_secret_cache()
    emulator = IamEmulator.from_template(
        TEMPLATE, local_names(aws, secrets=secrets), parameters={"Stage": STAGE}
    )
    emulator.install()
    yield emulator
    reset_secret_cache()


@pytest.fixture
def gateway(iam: IamEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    running = serve_in_thread(Gateway(handlers_under_roles(iam)))
    monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
    yield running
    running.stop()
