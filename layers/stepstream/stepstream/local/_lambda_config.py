"""What Lambda itself does with each function, as the SAM-transformed template configures it: the
recursive-loop setting, reserved concurrency, the runtime's log format and level, and each SQS
event source mapping's batching and scaling. The local stack plays these (the poller, the
logging set-up); template.yaml stays the one place they are written."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._iam_policies import NO_VALUE, LocalNames, Resolver

# Lambda's Python runtime takes these names for ApplicationLogLevel; the logging module others.
_PYTHON_LEVELS = {"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARNING"}
_PYTHON_LEVELS |= {"ERROR": "ERROR", "FATAL": "CRITICAL"}


@dataclass(frozen=True)
class FunctionConfig:
    """One ``AWS::Lambda::Function``'s settings that the local stack plays."""

    recursive_loop: str = "Terminate"
    """``Allow``: Lambda lets an SQS -> function -> same SQS chain run past 16 hops."""
    reserved_concurrency: int | None = None
    log_format: str = "Text"
    """``JSON``: the runtime writes each log record as one JSON object."""
    application_log_level: str | None = None
    """``ApplicationLogLevel`` in Lambda's names (``WARN``); None: not set."""

    @property
    def python_log_level(self) -> int | None:
        """The root logger's level the runtime sets, as a ``logging`` level."""
        name = _PYTHON_LEVELS.get((self.application_log_level or "").upper())
        return logging.getLevelName(name) if name else None


@dataclass(frozen=True)
class MappingConfig:
    """One SQS event source mapping's batching and scaling."""

    batch_size: int = 10
    batching_window_seconds: float = 0
    maximum_concurrency: int | None = None
    """``ScalingConfig.MaximumConcurrency``: at most this many invocations at once."""


@dataclass(frozen=True)
class LambdaConfig:
    functions: Mapping[str, FunctionConfig]
    mappings: Mapping[tuple[str, str], MappingConfig]
    """By (queue logical id, function logical id)."""

    def function(self, logical_id: str) -> FunctionConfig:
        return self.functions.get(logical_id, FunctionConfig())

    def mapping(self, queue: str, function: str) -> MappingConfig:
        return self.mappings.get((queue, function), MappingConfig())


def lambda_config(transformed: Mapping[str, Any], names: LocalNames) -> LambdaConfig:
    resolver = Resolver(transformed, names)
    resources: Mapping[str, Any] = transformed["Resources"]

    def value(node: Any) -> Any:
        resolved = resolver.value(node)
        return None if resolved is NO_VALUE else resolved

    functions: dict[str, FunctionConfig] = {}
    mappings: dict[tuple[str, str], MappingConfig] = {}
    for logical_id, spec in resources.items():
        props = spec.get("Properties") or {}
        if spec.get("Type") == "AWS::Lambda::Function":
            logging_config = props.get("LoggingConfig") or {}
            level = value(logging_config.get("ApplicationLogLevel"))
            reserved = value(props.get("ReservedConcurrentExecutions"))
            functions[logical_id] = FunctionConfig(
                recursive_loop=str(value(props.get("RecursiveLoop")) or "Terminate"),
                reserved_concurrency=int(reserved) if reserved not in (None, "") else None,
                log_format=str(value(logging_config.get("LogFormat")) or "Text"),
                application_log_level=str(level).upper() if level else None,
            )
        elif spec.get("Type") == "AWS::Lambda::EventSourceMapping":
            queue = _logical_of_arn(props.get("EventSourceArn"))
            function = props.get("FunctionName")
            function = function.get("Ref") if isinstance(function, dict) else function
            if not queue or not isinstance(function, str):
                continue
            scaling = value(props.get("ScalingConfig")) or {}
            maximum = scaling.get("MaximumConcurrency") if isinstance(scaling, dict) else None
            mappings[(queue, function)] = MappingConfig(
                batch_size=int(value(props.get("BatchSize")) or 10),
                batching_window_seconds=float(
                    value(props.get("MaximumBatchingWindowInSeconds")) or 0
                ),
                maximum_concurrency=int(maximum) if maximum not in (None, "") else None,
            )
    return LambdaConfig(functions, mappings)


def _logical_of_arn(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("Fn::GetAtt"), list):
        return str(node["Fn::GetAtt"][0])
    return None
