"""What every benchmark needs: local AWS pointed at by the standard variables, the template's
resources, the local WebSocket gateway, and a count of AWS requests as botocore sends them."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))


class RequestCounter:
    """AWS requests by ``service:Operation``; register on a client's ``before-call.*`` event."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    def take(self) -> Counter[str]:
        counts, self.counts = self.counts, Counter()
        return counts


def start_moto() -> Any:
    """moto's server on a free loopback port, in this process."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def use_local_aws(endpoint_url: str, prefix: str) -> dict[str, str]:
    """Point every client at ``endpoint_url`` with dummy credentials, create the template's
    resources under ``prefix``, and export the functions' environment; returns it."""
    from stepstream._aws import reset_clients
    from stepstream.local._provision import provision

    os.environ.update(
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
    )
    reset_clients()
    provisioned = provision(ROOT / "template.yaml", prefix=f"{prefix}{uuid.uuid4().hex[:8]}-")
    os.environ.update(provisioned.environment)
    return provisioned.environment


def start_gateway(**options: Any) -> Any:
    """The local API Gateway WebSocket emulator running the template's handlers, served on a
    loopback port, with ``STEPSTREAM_WS_MANAGEMENT_URL`` pointing at it."""
    import ws_authorizer
    import ws_connect
    import ws_default
    import ws_disconnect

    from stepstream.local._gateway import Gateway, WebSocketHandlers, serve_in_thread

    handlers = WebSocketHandlers(
        ws_authorizer.handler, ws_connect.handler, ws_disconnect.handler, ws_default.handler
    )
    gateway = serve_in_thread(Gateway(handlers, **options))
    os.environ["STEPSTREAM_WS_MANAGEMENT_URL"] = gateway.management_url
    return gateway
