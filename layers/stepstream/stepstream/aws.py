"""boto3 clients, made one way so every one honours ``AWS_ENDPOINT_URL[_<SERVICE>]``.

Public so that user code (a workflow calling Bedrock, say) shares the library's clients, their
retry and timeout settings, and the endpoints the dev stack and tests point at.

botocore reads the standard endpoint variables itself; passing no ``endpoint_url`` here is what
keeps that working. Clients are cached per thread-safe key because creating one costs ~20 ms.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

from .cost import _meter

__all__ = ["client", "reset_clients", "session"]

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=128,
)
"""``max_pool_connections``: connections a client keeps for reuse, opened only as needed. On AWS
an execution environment runs one invocation, which rarely has more than a few dozen requests in
flight (the fan-out function's removals: 32). ``stepstream dev`` hosts every function's
environments in one process, sharing these clients: 32 WebSocket-route invocations, the fan-out's
removals and the executors together passed 50 when half of ``bench.soak``'s sockets left at once,
and urllib3 opened and threw away a connection per request past the pool."""


@functools.cache
def session() -> boto3.session.Session:
    """The one boto3 session every client is made from; an event hook registered on it reaches
    the clients made after (call ``reset_clients`` to remake the cached ones)."""
    return boto3.session.Session()


@functools.cache
def client(service_name: str, endpoint_url: str | None = None) -> Any:
    """A cached boto3 client. ``endpoint_url`` is only for endpoints that are not AWS services'
    standard ones (API Gateway's ``@connections`` URL); everything else comes from the
    environment."""
    made_from: Any = session()  # typed per service by boto3-stubs; callers annotate the result
    made = made_from.client(service_name, config=_CONFIG, endpoint_url=endpoint_url)
    _meter.install(made)  # each request counts into the ledger of the run it is made for
    return made


def reset_clients() -> None:
    """Forget cached clients, e.g. after tests change ``AWS_ENDPOINT_URL``."""
    client.cache_clear()
    session.cache_clear()
