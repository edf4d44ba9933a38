"""Shared by the IAM tests: the sample keys of events/env.json, the template, the WebSocket
handlers each under its own role."""

from __future__ import annotations

import json
from pathlib import Path

import ws_authorizer
import ws_connect
import ws_default
import ws_disconnect

from stepstream.local import IamEmulator, WebSocketHandlers

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ENV_FILE = json.loads((ROOT / "events" / "env.json").read_text(encoding="utf-8"))
EVENT_KEY: str = ENV_FILE["ApiFunction"]["STEPSTREAM_EVENT_KEY"]
SIGNING_KEY: str = ENV_FILE["ApiFunction"]["STEPSTREAM_SIGNING_KEY"]
STAGE = "sample"  # the <env> of the sample signing key
JWT_SECRET = "w" * 48


def handlers_under_roles(iam: IamEmulator) -> WebSocketHandlers:
    return WebSocketHandlers(
        authorizer=iam.wrap("WsAuthorizerFunction", ws_authorizer.handler),
        connect=iam.wrap("WsConnectFunction", ws_connect.handler),
        disconnect=iam.wrap("WsDisconnectFunction", ws_disconnect.handler),
        default=iam.wrap("WsDefaultFunction", ws_default.handler),
    )


def denied(iam: IamEmulator) -> list[str]:
    return [str(d) for d in iam.denials]
