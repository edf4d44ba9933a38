"""What a local stack emulates of AWS beyond the services themselves, read from the template:
IAM per function, Lambda's recursive loop detection and concurrency (played by the poller), and
the Python runtime's logging. docs/architecture.md ("Emulating AWS's rules") says what each
checks and what it does not.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_lambda_powertools.logging.filters import SuppressFilter

from .._loader import load_app
from ._iam import IamEmulator, local_names
from ._iam_policies import transform
from ._lambda_config import FunctionConfig, LambdaConfig, MappingConfig, lambda_config
from ._provision import Provisioned, load_template
from ._wiring import Handler, HandlerRef

DEFAULT_POLLER_CONCURRENCY = 5
"""Concurrent batches of an SQS mapping with no maximum: Lambda starts an SQS mapping with five
and scales up from there; locally it stays at five."""
LOCAL_MAX_CONCURRENCY = 16
"""Concurrent batches of one mapping locally, whatever its maximum (the fan-out mapping allows
100): each is a thread long-polling the local SQS, and one process gains nothing from more."""


@dataclass(frozen=True)
class EmulationSwitches:
    iam: bool = True
    recursion: bool = True
    lambda_logging: bool = True
    poller_concurrency: int | None = None
    """None: from the template (MaximumConcurrency, reserved concurrency, else five)."""


class Emulation:
    """The template's rules, applied to the handlers a local stack runs."""

    def __init__(
        self,
        template: Path,
        provisioned: Provisioned,
        parameters: Mapping[str, str],
        switches: EmulationSwitches,
    ) -> None:
        region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        transformed = transform(template, parameters)
        secrets = {
            logical_id: f"arn:aws:secretsmanager:{region}:123456789012:secret:local-{logical_id}"
            for logical_id, spec in (load_template(template).get("Resources") or {}).items()
            if spec.get("Type") == "AWS::SecretsManager::Secret"
        }
        names = local_names(provisioned, secrets=secrets, parameters=parameters, region=region)
        self.switches = switches
        self.recursion = switches.recursion
        self.lambda_config: LambdaConfig = lambda_config(transformed, names)
        self.iam: IamEmulator | None = (
            IamEmulator.from_transformed(transformed, names, parameters) if switches.iam else None
        )
        # Every stack is a fresh deployment: its handlers are imported anew (a cold start), so
        # they read this stack's environment, and nothing carries over from another stack, not
        # even the app ``load_app()`` found for the last one (it caches per process).
        self._deployment = uuid.uuid4().hex[:8]
        self._refs: dict[str, HandlerRef] = {}
        self._deploying = threading.Event()
        """Set except while :meth:`redeploy` swaps the code."""
        self._deploying.set()
        load_app.cache_clear()

    def handler(self, ref: HandlerRef, environment: int = 0) -> Handler:
        """``ref``'s handler in execution environment ``environment``, run under its function's
        role. What is returned stays valid across :meth:`redeploy`: each call runs the handler
        of the deployment current then (imported on its first call there, a cold start), as a
        Lambda function's new invocations run the code of its latest deployment. Environment 0
        is imported now, so a broken handler fails the stack's start."""
        self._refs.setdefault(ref.logical_id, ref)
        if environment == 0:
            self._import(ref, 0)
        deployed = _Deployed(self, ref, environment)
        return self.iam.wrap(ref.logical_id, deployed) if self.iam is not None else deployed

    def load(self, ref: HandlerRef) -> Handler:
        """``ref``'s handler in the current deployment's first execution environment, unwrapped
        (bound to this deployment: an ASGI app is taken out of it). Imported on a thread of its
        own with an event loop that is closed afterwards: ``Mangum(app)`` makes one at import
        when its thread has none, and a loop left unclosed warns when collected."""
        self._refs.setdefault(ref.logical_id, ref)
        found: list[Handler] = []
        failed: list[BaseException] = []

        def load() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                found.append(self._import(ref, 0))
            except BaseException as exc:
                failed.append(exc)
            finally:
                asyncio.set_event_loop(None)
                loop.close()

        thread = threading.Thread(target=load, name=f"load-{ref.logical_id}")
        thread.start()
        thread.join()
        if failed:
            raise failed[0]
        return found[0]

    @property
    def refs(self) -> list[HandlerRef]:
        """Every handler this stack has asked for (what a redeploy imports)."""
        return list(self._refs.values())

    @property
    def deploying(self) -> bool:
        """True while :meth:`redeploy` swaps the code."""
        return not self._deploying.is_set()

    def wait_deployed(self) -> None:
        """Return once no redeploy is in progress."""
        self._deploying.wait()

    def current(self, ref: HandlerRef, environment: int) -> Handler:
        """``ref``'s handler in ``environment`` of the current deployment, after any redeploy
        in progress (new invocations wait for it, as Lambda's wait for an update)."""
        self._deploying.wait()
        return self._import(ref, environment)

    def _import(self, ref: HandlerRef, environment: int) -> Handler:
        return ref.load(f"{self._deployment}_{environment}")

    @contextmanager
    def redeploy(self) -> Generator[None, None, None]:
        """Make a new deployment current: inside the block, new invocations wait and
        :meth:`load` imports the new deployment's handlers; leaving it normally commits the
        new deployment (the previous one's modules are forgotten; invocations in flight finish
        on its code), leaving with an exception keeps the previous one current."""
        previous = self._deployment
        self._deploying.clear()
        try:
            self._deployment = uuid.uuid4().hex[:8]
            try:
                yield
            except BaseException:
                self._forget(self._deployment)
                self._deployment = previous
                raise
            self._forget(previous)
        finally:
            self._deploying.set()

    def unload(self) -> None:
        """Forget this stack's handler modules."""
        load_app.cache_clear()
        self._forget(self._deployment)

    def _forget(self, deployment: str) -> None:
        marker = f"__env{deployment}_"
        for name in [n for n in sys.modules if marker in n]:
            del sys.modules[name]

    def asgi(self, function: str, app: Any) -> Any:
        return self.iam.asgi(function, app) if self.iam is not None else app

    def concurrency(self, function: FunctionConfig, mapping: MappingConfig) -> int:
        if self.switches.poller_concurrency is not None:
            return self.switches.poller_concurrency
        limits = [
            n for n in (mapping.maximum_concurrency, function.reserved_concurrency) if n is not None
        ]
        return min([*limits, LOCAL_MAX_CONCURRENCY]) if limits else DEFAULT_POLLER_CONCURRENCY

    def logging_environment(self) -> dict[str, str | None]:
        """What Lambda sets for the functions' ``LoggingConfig`` (Powertools reads it)."""
        config = self._logging_config()
        if config is None:
            return {}
        return {
            "AWS_LAMBDA_LOG_FORMAT": config.log_format,
            "AWS_LAMBDA_LOG_LEVEL": config.application_log_level,
        }

    def start_logging(self) -> Callable[[], None]:
        """Configure logging as Lambda's Python runtime does for the functions'
        ``LoggingConfig``; returns what undoes it. One process serves every function, so the
        most verbose level any function asks for applies to all."""
        config = self._logging_config()
        if config is None:
            return lambda: None
        # Without an ApplicationLogLevel the runtime leaves the root logger at WARNING.
        level = config.python_log_level or logging.WARNING
        return _LambdaLogging(level, config.log_format == "JSON").undo

    def _logging_config(self) -> FunctionConfig | None:
        if not self.switches.lambda_logging:
            return None
        configs = list(self.lambda_config.functions.values())
        if not configs:
            return None
        return min(configs, key=lambda c: c.python_log_level or logging.WARNING)


class _Deployed:
    """A function's handler as its trigger holds it: each call runs the current deployment's."""

    def __init__(self, emulation: Emulation, ref: HandlerRef, environment: int) -> None:
        self._emulation = emulation
        self._ref = ref
        self._environment = environment

    def __call__(self, event: Any, context: Any) -> Any:
        return self._emulation.current(self._ref, self._environment)(event, context)


class _LambdaLogging:
    """The root logger at the runtime's level, writing to stderr in the template's format (JSON
    lines with ``LogFormat: JSON``), and the
    Powertools service logger (which does not propagate, and keeps the level it was first made
    with for the life of the process) at the same level, as ``AWS_LAMBDA_LOG_LEVEL`` sets it
    on Lambda."""

    def __init__(self, level: int, json_format: bool) -> None:
        service = os.environ.get("POWERTOOLS_SERVICE_NAME") or "stepstream"
        self._loggers = [logging.getLogger(), logging.getLogger(service)]
        self._previous = [logger.level for logger in self._loggers]
        for logger in self._loggers:
            logger.setLevel(level)
        self._handler = _RuntimeHandler()
        self._handler.setFormatter(JsonLogFormatter() if json_format else _TEXT_FORMAT)
        # On Lambda the runtime's handler exists before any Powertools Logger, which then puts
        # this filter on it so the service's records are not written twice; here the handler
        # may come after the Logger (a second stack in one process), so it is added as it would
        # have been.
        self._handler.addFilter(SuppressFilter(service))
        # Lambda's runtime installs one handler: a stack started while another's (or a crashed
        # one's) is still on the root logger replaces it rather than writing every line twice.
        for stale in [h for h in self._loggers[0].handlers if isinstance(h, _RuntimeHandler)]:
            self._loggers[0].removeHandler(stale)
        self._loggers[0].addHandler(self._handler)

    def undo(self) -> None:
        for logger, level in zip(self._loggers, self._previous, strict=True):
            logger.setLevel(level)
        self._loggers[0].removeHandler(self._handler)


class _RuntimeHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :class:`_LambdaLogging` puts on the root logger (stderr)."""


# The runtime's Text format: level, time, message (the request id is Lambda's, not known here).
_TEXT_FORMAT = logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s")


class JsonLogFormatter(logging.Formatter):
    """The record as Lambda's Python runtime writes it with ``LogFormat: JSON``."""

    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + "Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            line["errorType"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            line["stackTrace"] = traceback.format_exception(*record.exc_info)
        return json.dumps(line, default=str)
