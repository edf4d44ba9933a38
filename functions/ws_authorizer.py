"""WebSocket ``$connect`` REQUEST authorizer: the subscription token → an IAM policy.

No token raises ``Unauthorized`` (API Gateway answers 401); a bad token returns a Deny policy
(403); a good one allows the connection with the token's channel and topics as context.
"""

from stepstream.handlers import ws_authorizer_handler

handler = ws_authorizer_handler()
