"""API Gateway's ``@connections`` endpoint: how frames reach a WebSocket."""

from __future__ import annotations

from botocore.exceptions import ClientError

from .. import _aws
from .._config import Settings
from ._dynamo import _error_code


class ConnectionsApi:
    """API Gateway's ``@connections`` endpoint through boto3's ``apigatewaymanagementapi``."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url or Settings.from_env().ws_management_url
        if not self.endpoint_url:
            raise ValueError(
                "STEPSTREAM_WS_MANAGEMENT_URL is not set; point it at the WebSocket API's "
                "https://{api}.execute-api.{region}.amazonaws.com/{stage} (or the local gateway)"
            )

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send ``data`` to the connection (one ``PostToConnection``); ``False`` if it is gone
        (410)."""
        client = _aws.client("apigatewaymanagementapi", endpoint_url=self.endpoint_url)
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if _error_code(exc) == "GoneException":
                return False
            raise
        return True
