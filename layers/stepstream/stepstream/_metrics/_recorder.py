"""What an invocation measured, kept in memory and written once at its end as CloudWatch
embedded metric format (EMF) lines on stdout, through Powertools' ``EphemeralMetrics``.

On Lambda, stdout goes to the function's log group and CloudWatch turns each EMF line into
metrics: no ``PutMetricData`` call, no request on the invocation's path. Counters are summed
and samples (durations, lags) listed, so an invocation writes one line per dimension set
whatever it did. Off (the default outside Lambda), nothing is kept and nothing imported:
every emission point returns after one attribute read.
"""

from __future__ import annotations

import os
import threading
from typing import Any

Dimensions = tuple[tuple[str, str], ...]
"""Sorted ``(name, value)`` pairs; always low-cardinality (a function id, never a run id)."""
_Key = tuple[Dimensions, str, str]  # dimensions, metric name, unit

SWITCH = "STEPSTREAM_METRICS"
"""``on`` or ``off``; unset: on where Lambda runs the code (``AWS_LAMBDA_FUNCTION_NAME``)."""
_ON = frozenset({"on", "true", "1", "stdout"})
_OFF = frozenset({"off", "false", "0"})
DEFAULT_NAMESPACE = "stepstream"


def wanted() -> bool:
    """Whether this invocation records metrics: ``STEPSTREAM_METRICS`` decides, else Powertools'
    ``POWERTOOLS_METRICS_DISABLED``, else whether this is Lambda."""
    choice = os.environ.get(SWITCH, "").strip().lower()
    if choice and choice not in _ON | _OFF:
        raise ValueError(f"{SWITCH}={choice!r}: use on or off (unset: on when on Lambda)")
    if choice in _OFF:
        return False
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() in ("true", "1"):
        return False
    return choice in _ON or bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


class Recorder:
    """Sums and samples per (dimensions, name, unit), shared by the threads of one process: the
    executor's event loop, its step threads and the realtime fan-out's post workers."""

    def __init__(self) -> None:
        self.on = False
        self._lock = threading.Lock()
        self._counts: dict[_Key, float] = {}
        self._samples: dict[_Key, list[float]] = {}

    def count(self, name: str, unit: str, dimensions: Dimensions, value: float = 1.0) -> None:
        key = (dimensions, name, unit)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0.0) + value

    def sample(self, name: str, unit: str, dimensions: Dimensions, value: float) -> None:
        with self._lock:
            self._samples.setdefault((dimensions, name, unit), []).append(value)

    def take(self) -> tuple[dict[_Key, float], dict[_Key, list[float]]]:
        """Everything recorded so far, forgotten here."""
        with self._lock:
            counts, self._counts = self._counts, {}
            samples, self._samples = self._samples, {}
        return counts, samples

    def flush(self) -> None:
        """Print one EMF line per dimension set (Powertools splits a set past 100 values)."""
        counts, samples = self.take()
        if not counts and not samples:
            return
        from aws_lambda_powertools.metrics import EphemeralMetrics

        namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
        sets: dict[Dimensions, Any] = {}

        def metric_set(dimensions: Dimensions) -> Any:
            if dimensions not in sets:
                metrics = sets[dimensions] = EphemeralMetrics(namespace=namespace)
                for name, value in dimensions:
                    metrics.add_dimension(name=name, value=value)
            return sets[dimensions]

        for (dimensions, name, unit), total in counts.items():
            metric_set(dimensions).add_metric(name=name, unit=unit, value=total)
        for (dimensions, name, unit), values in samples.items():
            for value in values:
                metric_set(dimensions).add_metric(name=name, unit=unit, value=value)
        for metrics in sets.values():
            metrics.flush_metrics()


RECORDER = Recorder()
"""The process's recorder: the handlers switch it on and flush it once per invocation."""
