"""WebSocket ``$connect`` REQUEST authorizer: the subscription token → an IAM policy.

No token raises ``Unauthorized`` (API Gateway answers 401); a bad token returns a Deny policy
(403); a good one allows the connection with the token's channel and topics as context.
"""

from __future__ import annotations

from typing import Any

from stepstream.realtime._socket import authorize


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(event)
