"""GIVEN the local IAM emulation WHEN a function posts to ``@connections`` through
``ConnectionsApi`` (its fast path) THEN a role without ``execute-api:ManageConnections`` is
refused before anything is sent, and one with it reaches the gateway."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from stepstream.local import IamEmulator, RunningGateway
from stepstream.store import ConnectionsApi


def test_a_role_without_manage_connections_cannot_post(
    iam: IamEmulator, gateway: RunningGateway
) -> None:
    api = ConnectionsApi(gateway.management_url)
    with iam.enforce("WsConnectFunction"), pytest.raises(ClientError) as error:
        api.post("no-such-connection=", b"x")
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [d.action for d in iam.denials] == ["execute-api:ManageConnections"]
    with iam.enforce("WsDefaultFunction"):
        assert api.post("no-such-connection=", b"x") is False  # reached it: 410, not refused
    assert len(iam.denials) == 1
