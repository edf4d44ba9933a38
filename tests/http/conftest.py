"""Fixtures for the HTTP API tests: a real app on moto, served by a real uvicorn on loopback.

``app``/``client`` give each test fresh resources. ``shared_app``/``shared_client`` give one
stack per test module, for the many refusal cases that must store nothing: provisioning a stack
per case would dominate the suite's run time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _http_support import make_app
from _serve import serve

from stepstream import Stepstream
from stepstream._aws import reset_clients
from stepstream.http import create_api
from stepstream.local._provision import Provisioned, provision

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture
def app(aws: Provisioned) -> Stepstream:
    return make_app()


@pytest.fixture
def base_url(app: Stepstream) -> Iterator[str]:
    with serve(create_api(app)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=20) as http:
        yield http


@pytest.fixture(scope="module")
def shared_app(moto_endpoint: object) -> Iterator[Stepstream]:
    """Like ``aws`` + ``app``, once per module."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", moto_endpoint.url)  # type: ignore[attr-defined]
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_PROFILE", raising=False)
        reset_clients()
        provisioned = provision(TEMPLATE, prefix=f"h{uuid.uuid4().hex[:10]}-")
        for key, value in provisioned.environment.items():
            env.setenv(key, value)
        yield make_app()
    reset_clients()


@pytest.fixture(scope="module")
def shared_client(shared_app: Stepstream) -> Iterator[httpx.Client]:
    with serve(create_api(shared_app)) as url, httpx.Client(base_url=url, timeout=20) as http:
        yield http
