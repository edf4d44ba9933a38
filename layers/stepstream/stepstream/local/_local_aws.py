"""The AWS a local stack talks to: an endpoint it is given, the endpoints ``AWS_ENDPOINT_URL*``
already names (DynamoDB Local, LocalStack, a real account through a proxy), or an embedded moto
server on a free loopback port for every service nothing else serves."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._moto_state import MotoState

SERVICES = ("dynamodb", "sqs", "s3")
"""What the template's resources need."""

DEFAULT_REGION = "us-east-1"
_DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def external_endpoints() -> dict[str, str]:
    """Service → endpoint for the services an ``AWS_ENDPOINT_URL*`` variable already points at.
    The generic ``AWS_ENDPOINT_URL`` covers every service, as botocore reads it."""
    env = os.environ
    generic = env.get("AWS_ENDPOINT_URL", "")
    found = {}
    for service in SERVICES:
        specific = env.get(f"AWS_ENDPOINT_URL_{service.upper()}", "")
        if specific or generic:
            found[service] = specific or generic
    return found


class LocalAws:
    """Where the stack's AWS calls go, and the ``AWS_*`` variables that send them there.

    ``endpoint``: send every service there (moto started elsewhere, DynamoDB Local), with dummy
    credentials. Otherwise, with ``use_environment``, services an ``AWS_ENDPOINT_URL*`` variable
    names stay there; moto serves the rest (all of them without ``use_environment``).
    ``state_dir``: keep embedded moto's state in that folder across restarts."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        use_environment: bool = True,
        state_dir: str | Path | None = None,
    ) -> None:
        self.given_endpoint = endpoint
        self.external = external_endpoints() if use_environment and not endpoint else {}
        self.use_environment = use_environment
        self.endpoint = endpoint or ""
        """What ``AWS_ENDPOINT_URL`` is set to; empty when every service is external."""
        self._moto: Any = None
        self.state_dir = state_dir
        self.state: MotoState | None = None
        """The state folder, while moto runs with one."""

    @property
    def embedded(self) -> bool:
        """True when this stack runs moto (its state is in this process's memory)."""
        return self._moto is not None

    @property
    def missing(self) -> list[str]:
        """The services moto serves: those no endpoint was given or found for."""
        if self.given_endpoint:
            return []
        return [service for service in SERVICES if service not in self.external]

    def start(self) -> None:
        if not self.missing:
            if self.state_dir is not None:
                from ._stack_error import LocalStackError

                raise LocalStackError(
                    "--state-dir keeps the embedded moto's state, but AWS_ENDPOINT_URL* sends "
                    "every service elsewhere (state lives there); drop --state-dir"
                )
            return
        if self.state_dir is not None:
            self._moto = self._start_with_state(self.state_dir)
        else:
            from ._moto_server import EmbeddedMotoServer

            # moto's own server, but with DynamoDB made safe for concurrent requests.
            self._moto = EmbeddedMotoServer()
            self._moto.start()
        # moto's werkzeug logs every request at INFO; a stack's output is for the user's runs.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # botocore says at INFO, once per client, that AWS_ENDPOINT_URL named the endpoint: true
        # of every client here, and never said on AWS, where no such variable is set.
        logging.getLogger("botocore.configprovider").setLevel(logging.WARNING)
        host, port = self._moto.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def _start_with_state(self, state_dir: str | Path) -> Any:
        from ._moto_state import MotoState, StateDirError
        from ._stack_error import LocalStackError

        state = MotoState(state_dir)
        try:
            state.open()
        except StateDirError as exc:
            raise LocalStackError(str(exc)) from exc
        from ._moto_server import EmbeddedMotoServer

        server = EmbeddedMotoServer(wrap=state.wrap)
        try:
            server.start()
        except BaseException:
            state.close(save=False)
            raise
        state.start()
        self.state = state
        return server

    def stop(self) -> None:
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self.state is not None:
            # After moto stopped answering, so the last snapshot misses no write.
            self.state.close()
            self.state = None

    def environment(self) -> dict[str, str | None]:
        """The variables to set (``None``: unset) so boto3 in this process, and handlers run
        here, reach these endpoints."""
        region = os.environ.get("AWS_DEFAULT_REGION") if self.use_environment else None
        env: dict[str, str | None] = {"AWS_DEFAULT_REGION": region or DEFAULT_REGION}
        if not self.endpoint:
            return env  # every service is external: the developer's credentials go there
        # The generic variable reaches every service without its own AWS_ENDPOINT_URL_<SERVICE>.
        env["AWS_ENDPOINT_URL"] = self.endpoint
        if not self.external:
            # Everything is moto (or an emulator), which accepts any credentials; fixed ones keep
            # a developer's real profile (and its SSO prompts) out of it.
            env.update(_DUMMY_CREDENTIALS)
            env["AWS_SESSION_TOKEN"] = None
            env["AWS_PROFILE"] = None
        elif _no_credentials():
            env.update(_DUMMY_CREDENTIALS)
        return env

    def describe(self) -> str:
        """One line for a banner: where state lives."""
        if not self.endpoint:
            where = ", ".join(f"{service} at {url}" for service, url in self.external.items())
            return f"{where} (state lives there)"
        if self.state is not None:
            kept = "restored from" if self.state.restored else "kept in"
            line = f"AWS_ENDPOINT_URL={self.endpoint} (embedded moto; state {kept} "
            line += f"{self.state.path})"
        elif self.embedded:
            line = f"AWS_ENDPOINT_URL={self.endpoint} (embedded moto; its state is in memory)"
        else:
            line = f"AWS_ENDPOINT_URL={self.endpoint}"
        for service, url in self.external.items():
            line += f"; {service} at {url}"
        return line


def _no_credentials() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is None
