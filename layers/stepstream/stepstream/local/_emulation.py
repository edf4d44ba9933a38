"""What a local stack emulates of AWS beyond the services themselves, read from the template:
IAM per function, Lambda's recursive loop detection and concurrency (played by the poller), and
the Python runtime's logging. docs/architecture.md ("Emulating AWS's rules") says what each
checks and what it does not.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._iam import IamEmulator, local_names
from ._iam_policies import transform
from ._lambda_config import FunctionConfig, LambdaConfig, MappingConfig, lambda_config
from ._provision import Provisioned, load_template
from ._wiring import Handler, HandlerRef

DEFAULT_POLLER_CONCURRENCY = 5
"""Concurrent batches of an SQS mapping with no maximum: Lambda starts an SQS mapping with five
and scales up from there; locally it stays at five."""


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
        self._logging: _LambdaLogging | None = None

    def handler(self, ref: HandlerRef, environment: int = 0) -> Handler:
        """``ref``'s handler (``environment``: which execution environment's import of it), run
        under its function's role."""
        loaded = ref.load(environment)
        return self.iam.wrap(ref.logical_id, loaded) if self.iam is not None else loaded

    def asgi(self, function: str, app: Any) -> Any:
        return self.iam.asgi(function, app) if self.iam is not None else app

    def concurrency(self, function: FunctionConfig, mapping: MappingConfig) -> int:
        if self.switches.poller_concurrency is not None:
            return self.switches.poller_concurrency
        limits = [
            n for n in (mapping.maximum_concurrency, function.reserved_concurrency) if n is not None
        ]
        return min(limits) if limits else DEFAULT_POLLER_CONCURRENCY

    def start_logging(self) -> Callable[[], None]:
        """Configure the root logger as Lambda's Python runtime does for the functions'
        ``LoggingConfig``; returns what undoes it. One process serves every function, so the
        most verbose level any function asks for applies to all."""
        if not self.switches.lambda_logging:
            return lambda: None
        configs = list(self.lambda_config.functions.values())
        levels = [c.application_log_level for c in configs if c.application_log_level]
        json_format = any(c.log_format == "JSON" for c in configs)
        # Without an ApplicationLogLevel the runtime leaves the root logger at WARNING.
        level = min((logging.getLevelName(name) for name in levels), default=logging.WARNING)
        self._logging = _LambdaLogging(level, json_format)
        return self._logging.undo


class _LambdaLogging:
    def __init__(self, level: int, json_format: bool) -> None:
        root = logging.getLogger()
        self._previous_level = root.level
        root.setLevel(level)
        self._handler: logging.Handler | None = None
        if json_format:
            self._handler = logging.StreamHandler()
            self._handler.setFormatter(JsonLogFormatter())
            root.addHandler(self._handler)

    def undo(self) -> None:
        root = logging.getLogger()
        root.setLevel(self._previous_level)
        if self._handler is not None:
            root.removeHandler(self._handler)


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
