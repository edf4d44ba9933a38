"""One way to build a local stack, for ``stepstream dev``, the tests and the benchmarks.

What template.yaml deploys, in this process: AWS (an embedded moto on loopback, or the endpoints
given or named by ``AWS_ENDPOINT_URL*``), the template's tables, queues and buckets with the
functions' environment exported as Lambda would set it, the WebSocket gateway emulator with the
template's handlers, the HTTP API, the dashboard, an SQS poller per event source mapping and a
per-minute tick per schedule, all on one port. :class:`StackOptions` says which of them to start.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from ._local_aws import LocalAws
from ._stack_error import LocalStackError

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from ._devserver import DevServer
    from ._emulation import Emulation
    from ._gateway import Gateway, GatewayLimits
    from ._poller import SqsPoller
    from ._provision import Provisioned
    from ._reload import Reloader

log = logging.getLogger("stepstream.dev")
CONNECT_PATH = "/v1/realtime/connect"


class Progress(Protocol):
    """Where a starting stack reports its steps (``stepstream dev`` prints them)."""

    def step(self, text: str) -> None: ...

    def done(self, text: str) -> None: ...


class _Silent:
    def step(self, text: str) -> None:
        log.debug(text)

    def done(self, text: str) -> None:
        log.debug(text)


@dataclass(frozen=True)
class StackOptions:
    """What a :class:`LocalStack` starts; the defaults are ``stepstream dev``'s."""

    template: str | Path | None = None
    """template.yaml; None: the nearest one in the working directory or above it."""
    host: str = "127.0.0.1"
    port: int = 0
    """0: a free port."""
    aws_endpoint: str | None = None
    """Send every AWS call here (moto started elsewhere, DynamoDB Local) instead of moto."""
    use_environment: bool = True
    """Keep services an ``AWS_ENDPOINT_URL*`` variable names there; False: moto serves all."""
    resource_prefix: str = ""
    """Prefix of the provisioned resources' names, so stacks can share one endpoint."""
    provisioned: Provisioned | None = None
    """The template's resources, already provisioned by the caller (a test's); None: create
    them."""
    serve: bool = True
    """Serve the gateway (and the API and dashboard, if on) on ``host:port``."""
    http_api: bool = True
    """Mount the app's HTTP API and the ``STEPSTREAM_ROUTES`` routers, as the API Lambda does."""
    dashboard: bool = True
    """Serve the dashboard and the project's ``web/`` pages."""
    pollers: bool = True
    """Run the SQS pollers that play the template's event source mappings (the executor)."""
    schedules: bool = True
    """Call the scheduled handlers at the start of every minute."""
    routes: Callable[[LocalStack], Sequence[BaseRoute]] | None = None
    """Extra routes, matched before everything else; called once the gateway exists."""
    gateway_limits: GatewayLimits | None = None
    """API Gateway's quotas (tests shorten them); None: AWS's own."""
    trim_when_idle: bool = False
    """Give freed heap back to the system after each burst of work (``_idle_trim``);
    ``stepstream dev`` turns it on."""
    gateway_workers: int = 32
    """Threads running the WebSocket handlers, as concurrent Lambda invocations."""
    post_latency_ms: float | None = None
    """Milliseconds every ``@connections`` call waits, as the HTTPS round trip to AWS does; None:
    ``STEPSTREAM_GATEWAY_POST_LATENCY_MS``, else 0 (``stepstream dev`` defaults to 30)."""
    event_key: str | None = None
    signing_key: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    """template.yaml's parameters (``LogLevel``, ``ExecutorReservedConcurrency`` ...); the rest
    take their defaults."""
    iam: bool = True
    """Run each handler with exactly its function's role (``AccessDenied`` otherwise)."""
    recursion_detection: bool = True
    """Stop an SQS chain after 16 invocations unless the function's ``RecursiveLoop`` is
    ``Allow``, as Lambda does."""
    lambda_logging: bool = True
    """Configure the root logger as Lambda's runtime does for the template's ``LoggingConfig``."""
    poller_concurrency: int | None = None
    """Concurrent invocations per SQS mapping; None: the template's maximum or reserved
    concurrency, else five."""
    reload: bool = False
    """Watch the user's code and reload the handlers when it changes (``stepstream dev``'s
    default), keeping AWS, the gateway and its sockets running (:mod:`._reload`)."""
    state_dir: str | Path | None = None
    """Keep embedded moto's state in this folder across restarts (:mod:`._moto_state`); None:
    in memory, fresh on every start."""


def find_template(explicit: str | Path | None, start: Path | None = None) -> Path:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise LocalStackError(f"--template {explicit}: no such file")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "template.yaml"
        if candidate.is_file():
            return candidate
    raise LocalStackError(
        f"no template.yaml in {here} or above; run from the project folder or pass --template"
    )


class LocalStack:
    """A local stack: :meth:`start` it (or use it as a context manager) and it serves in a
    background thread; ``stepstream dev`` calls :meth:`prepare` then :meth:`serve_forever`.
    It sets the process environment as Lambda would set the functions' (the handlers run here
    and read it) and puts back what it changed on :meth:`stop`."""

    def __init__(self, options: StackOptions | None = None, progress: Progress | None = None):
        self.options = options or StackOptions()
        self.progress: Progress = progress or _Silent()
        self.template = find_template(self.options.template)
        self.aws = LocalAws(
            self.options.aws_endpoint,
            use_environment=self.options.use_environment,
            state_dir=self.options.state_dir,
        )
        self.provisioned: Provisioned | None = None
        self.gateway: Gateway | None = None
        self.pollers: list[SqsPoller] = []
        self.emulation: Emulation | None = None
        """The template's rules the handlers run under (after :meth:`prepare`)."""
        self.reloader: Reloader | None = None
        """What reloads the handlers on a code edit (with ``reload`` on, after :meth:`prepare`)."""
        self.url = ""
        """``http://host:port`` while serving; empty when ``serve`` is off."""
        self._socket: socket.socket | None = None
        self._server: DevServer | None = None
        self._thread: threading.Thread | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._stoppers: list[Callable[[], None]] = []

    @property
    def ws_url(self) -> str:
        """The WebSocket API's URL, as a deployed stack's ``wss://.../v1/realtime/connect``."""
        return "ws" + self.url.removeprefix("http") + CONNECT_PATH

    @property
    def management_url(self) -> str:
        """What ``STEPSTREAM_WS_MANAGEMENT_URL`` is (boto3 appends ``/@connections``)."""
        return self.url

    @property
    def environment(self) -> dict[str, str]:
        """The functions' environment: the provisioned resources' names and the template's
        settings (empty before :meth:`prepare`)."""
        return dict(self.provisioned.environment) if self.provisioned else {}

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30) -> LocalStack:
        """Prepare, then serve in a background thread; returns once requests are answered."""
        try:
            self.prepare()
            if self._server is not None:
                self._thread = threading.Thread(
                    target=self._server.run,
                    kwargs={"sockets": [self._socket]},
                    name="local-stack",
                    daemon=True,
                )
                self._thread.start()
                deadline = time.monotonic() + timeout
                while not self._server.started:
                    if not self._thread.is_alive() or time.monotonic() > deadline:
                        raise LocalStackError(f"the local stack did not serve {self.url}")
                    time.sleep(0.01)
        except BaseException:
            self.stop()
            raise
        return self

    def serve_forever(self, on_ready: Callable[[], None]) -> None:
        """Serve on this thread until Ctrl-C/SIGTERM (after :meth:`prepare`)."""
        if self._server is None or self._socket is None:
            raise LocalStackError("serve_forever() needs prepare() first, with serve on")
        self._server.on_started = on_ready
        self._server.run(sockets=[self._socket])

    def stop(self) -> None:
        """Undo exactly what was started, newest first; safe to call more than once."""
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
        self._server, self._thread = None, None
        while self._stoppers:
            stopper = self._stoppers.pop()
            try:
                stopper()
            except Exception:
                log.debug("error while stopping", exc_info=True)

    def prepare(self) -> None:
        """Start everything but the server: bind the port (first, so a busy one fails at once),
        AWS, the resources, the environment, the handlers, the pollers and the schedules."""
        options = self.options
        if options.serve:
            self._bind()
        if options.event_key:
            self._setenv({"STEPSTREAM_EVENT_KEY": options.event_key})
        if options.signing_key:
            self._setenv({"STEPSTREAM_SIGNING_KEY": options.signing_key})
        self._start_aws()
        self._provision()
        if self.url:
            self._setenv(
                {"STEPSTREAM_WS_MANAGEMENT_URL": self.url, "STEPSTREAM_REALTIME_URL": self.ws_url}
            )
        emulation = self._emulate()
        from ._loading import load_handlers

        handlers = load_handlers(self, self._provisioned(), emulation)
        self.pollers = handlers.pollers
        for poller in self.pollers:
            poller.start()
            self._stoppers.append(poller.stop)
        if handlers.ticker is not None:
            handlers.ticker.start()
            self._stoppers.append(handlers.ticker.stop)
        if options.trim_when_idle:
            from ._idle_trim import IdleTrim

            trimmer = IdleTrim()
            trimmer.start()
            self._stoppers.append(trimmer.stop)
        self.gateway = handlers.gateway
        api = handlers.api
        if options.reload and handlers.wiring is not None:
            from ._reload import Reloader, SwappableApp

            swappable = SwappableApp(api, emulation) if api is not None else None
            api = swappable
            self.reloader = Reloader(emulation, handlers.wiring, self.progress, swappable)
        if self.gateway is not None:
            self._stoppers.append(self.gateway.shutdown)
            self._server = self._make_server(self.gateway, api)
        if self.reloader is not None:
            watcher = self.reloader.watcher()
            watcher.start()
            self._stoppers.append(watcher.stop)

    def _emulate(self) -> Emulation:
        from ._emulation import Emulation, EmulationSwitches

        options = self.options
        switches = EmulationSwitches(
            iam=options.iam,
            recursion=options.recursion_detection,
            lambda_logging=options.lambda_logging,
            poller_concurrency=options.poller_concurrency,
        )
        off = [name for name, on in vars(switches).items() if on is False]
        self.progress.step(
            "emulating IAM per function, recursion detection, Lambda logging and concurrency"
            + (f" (off: {', '.join(off)})" if off else "")
        )
        emulation = Emulation(self.template, self._provisioned(), options.parameters, switches)
        self.emulation = emulation
        self._setenv(emulation.logging_environment())
        self._stoppers.append(emulation.unload)
        self._stoppers.append(emulation.start_logging())
        return emulation

    def _bind(self) -> None:
        from ._devserver import PortInUseError, bind

        options = self.options
        try:
            self._socket = bind(options.host, options.port)
        except PortInUseError as exc:
            raise LocalStackError(str(exc)) from exc
        self._stoppers.append(self._socket.close)
        port = self._socket.getsockname()[1]
        loopback = "127.0.0.1" if options.host in ("0.0.0.0", "", "::") else options.host
        self.url = f"http://{_host_for_url(loopback)}:{port}"

    def _start_aws(self) -> None:
        aws = self.aws
        if aws.missing:
            self.progress.step(f"AWS: starting embedded moto for {', '.join(aws.missing)}...")
        else:
            self.progress.step(f"AWS: using {aws.describe()}")
        aws.start()
        self._stoppers.append(aws.stop)
        self._setenv(aws.environment())

    def _provision(self) -> None:
        from ._provision import provision

        if self.options.provisioned is not None:
            self.provisioned = self.options.provisioned
            self._export_environment(self.provisioned.environment)
            return
        self.progress.step(f"provisioning tables, queues and buckets from {self.template.name}...")
        try:
            provisioned = provision(self.template, prefix=self.options.resource_prefix)
        except Exception as exc:
            endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS")
            raise LocalStackError(
                f"could not create the template's resources on {endpoint}: {exc}. "
                "Check that the endpoint is running and the credentials are valid."
            ) from exc
        self.provisioned = provisioned
        self.progress.done(
            f"{len(provisioned.tables)} tables, {len(provisioned.queues)} queues, "
            f"{len(provisioned.buckets)} buckets"
        )
        self._export_environment(provisioned.environment)

    def _provisioned(self) -> Provisioned:
        assert self.provisioned is not None
        return self.provisioned

    def _export_environment(self, environment: dict[str, str]) -> None:
        """Set the functions' environment as Lambda would. Values that name the resources just
        created always win; plain settings from the template (``STEPSTREAM_APP``,
        ``POWERTOOLS_*``) are defaults the developer's shell may override."""
        from ._provision import load_template

        declared = (
            (load_template(self.template).get("Globals") or {})
            .get("Function", {})
            .get("Environment", {})
            .get("Variables", {})
        )
        self._setenv(
            {
                key: value
                for key, value in environment.items()
                if not (isinstance(declared.get(key), str) and key in os.environ)
            }
        )

    def _setenv(self, values: dict[str, str | None]) -> None:
        """Set (``None``: unset) variables, remembering the first value of each for stop()."""
        from .._aws import reset_clients

        if not self._saved_environment:
            self._stoppers.append(self._restore_environment)
        for key, value in values.items():
            self._saved_environment.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_clients()  # cached clients keep the endpoint and credentials they were made with

    def _restore_environment(self) -> None:
        from .._aws import reset_clients

        saved, self._saved_environment = self._saved_environment, {}
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_clients()

    def _make_server(self, gateway: Gateway, api: Any) -> DevServer:
        from ._dashboard import DashboardConfig, is_loopback
        from ._devserver import DevServer, build_asgi, server_config

        options = self.options
        dashboard = None
        if options.dashboard:
            web_dir = self.template.parent / "web"
            dashboard = DashboardConfig(
                web_dir=web_dir if web_dir.is_dir() else None,
                loopback_only=is_loopback(options.host),
            )
        extra = list(options.routes(self)) if options.routes else []
        asgi = build_asgi(api, gateway, dashboard, extra_routes=extra)
        config = server_config(asgi, max_message_bytes=gateway.limits.max_message_bytes)
        return DevServer(config)


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host
