"""API Gateway's ``@connections`` endpoint: how frames reach a WebSocket."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from .. import _aws
from .._config import Settings
from ..cost import _meter
from ._dynamo import _error_code
from ._fast_post import FastPost, usable


class ConnectionsApi:
    """API Gateway's ``@connections`` endpoint, described by boto3's ``apigatewaymanagementapi``
    client: its hooks, credentials and errors. A post is sent by :class:`FastPost` (a fraction
    of botocore's CPU per post) unless tracing or a proxy needs botocore's own path."""

    def __init__(self, endpoint_url: str | None = None, *, pool: int | None = None) -> None:
        """``pool``: connections of a client of its own, for a caller posting with more threads
        than the shared client's 50 when posts take botocore's path (beyond them every post
        would open a new connection); the fast path keeps one connection per thread."""
        self.endpoint_url = endpoint_url or Settings.from_env().ws_management_url
        if not self.endpoint_url:
            raise ValueError(
                "STEPSTREAM_WS_MANAGEMENT_URL is not set; point it at the WebSocket API's "
                "https://{api}.execute-api.{region}.amazonaws.com/{stage} (or the local gateway)"
            )
        self._pool = pool
        self._own: Any = None
        self._fast = FastPost(self.endpoint_url) if usable(self.endpoint_url) else None

    def _client(self) -> Any:
        if self._pool is None:
            return _aws.client("apigatewaymanagementapi", endpoint_url=self.endpoint_url)
        if self._own is None:  # made on first use: after the session's hooks are in place
            config = Config(
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=5,
                read_timeout=30,
                max_pool_connections=self._pool,
            )
            self._own = _aws.session().client(
                "apigatewaymanagementapi", endpoint_url=self.endpoint_url, config=config
            )
            _meter.install(self._own)  # its posts count into the run's ledger, as the shared's
        return self._own

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send ``data`` to the connection (one ``PostToConnection``); ``False`` if it is gone
        (410)."""
        client = self._client()
        try:
            if self._fast is not None:
                self._fast.post(client, connection_id, data)
            else:
                client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if _error_code(exc) == "GoneException":
                return False
            raise
        return True
