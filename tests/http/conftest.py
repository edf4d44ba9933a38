"""Fixtures for the HTTP API tests: a real app on moto, served by a real uvicorn on loopback.

``app``/``client`` give each test fresh resources. ``shared_app``/``shared_client`` give one
stack per test module, for the many refusal cases that must store nothing: provisioning a stack
per case would dominate the suite's run time.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from stepstream import Stepstream
from stepstream.aws import reset_clients
from stepstream.http import create_api
from stepstream.local import Provisioned
from tests.support.aws import MotoEndpoint, use_local_aws
from tests.support.serve import serve

from ._http_support import make_app


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
def shared_app(moto_endpoint: MotoEndpoint) -> Iterator[Stepstream]:
    """Like ``aws`` + ``app``, once per module."""
    with pytest.MonkeyPatch.context() as env:
        use_local_aws(env, moto_endpoint.aws, letter="h")
        yield make_app()
    reset_clients()


@pytest.fixture(scope="module")
def shared_client(shared_app: Stepstream) -> Iterator[httpx.Client]:
    with serve(create_api(shared_app)) as url, httpx.Client(base_url=url, timeout=20) as http:
        yield http
