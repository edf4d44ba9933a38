"""What every benchmark needs: a local stack (``stepstream.local.LocalStack``: local AWS pointed
at by the standard variables, the template's resources, the WebSocket gateway when asked for) and
a count of AWS requests as botocore sends them."""

from __future__ import annotations

import os
import platform
import resource
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stepstream.local import LocalStack, StackOptions

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict[str, Any]:
    """Where a benchmark ran, as its results record it: the load at the end says how noisy."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


class RequestCounter:
    """AWS requests by ``service:Operation``, counted on a ``before-call`` hook (once per API
    call, whatever botocore's retries), from any thread."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()  # the executor's worker threads and pollers call too

    def __call__(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    def take(self) -> Counter[str]:
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def count(self, *services: str) -> RequestCounter:
        """Count the requests of the library's own clients for ``services``."""
        for service in services or ("dynamodb", "sqs", "s3"):
            on_every_client(f"before-call.{service}", self)
        return self


def on_every_client(event: str, hook: Any) -> None:
    """Register ``hook`` for ``event`` on every client of the library from now on: on the
    session they are made from, then drop the cached clients so they are made again with it. A
    hook on one cached client is lost when that client is remade, as the local poller's first
    invocation does to add its recursion hook (a benchmark then counted nothing after it)."""
    from stepstream.aws import client, session

    session().events.register(event, hook)
    client.cache_clear()


@contextmanager
def moto_process(module: str = "stepstream.local.embedded_moto") -> Iterator[str]:
    """The stack's moto server (as ``make dev`` embeds it, patched) in its own process on a free
    loopback port; yields its endpoint URL. In process it would compete with the gateway for the
    GIL. ``module="moto.server"``: moto as released, for a baseline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moto = subprocess.Popen(
        [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        moto.terminate()
        try:
            moto.wait(10)
        except subprocess.TimeoutExpired:
            moto.kill()


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"moto did not start on port {port}")


@contextmanager
def local_stack(
    prefix: str,
    *,
    gateway: bool = False,
    aws_endpoint: str | None = None,
    gateway_workers: int = 32,
) -> Iterator[LocalStack]:
    """moto on loopback (or ``aws_endpoint``), the template's resources under a fresh name prefix
    and the functions' environment; with ``gateway``, the WebSocket gateway running the
    template's handlers on a loopback port. No executor, schedules, API or dashboard: each
    benchmark drives what it measures itself."""
    options = StackOptions(
        template=ROOT / "template.yaml",
        aws_endpoint=aws_endpoint,
        use_environment=False,
        resource_prefix=f"{prefix}{uuid.uuid4().hex[:8]}-",
        serve=gateway,
        http_api=False,
        dashboard=False,
        pollers=False,
        schedules=False,
        gateway_workers=gateway_workers,
    )
    with LocalStack(options) as stack:
        yield stack


def seed_subscriptions(channel: str, topics: list[str], count: int) -> list[str]:
    """``count`` subscriptions of ``channel`` as ``$connect`` leaves them, for benchmarks whose
    posts go nowhere: only the items a publisher's subscriber ``Query`` reads (``CH#<channel>`` /
    ``CONN#<id>``), in ``BatchWriteItem``s of 25. ``ConnectionStore.add`` writes each with a
    transaction, which moto runs by copying every table: quadratic in a benchmark's thousands."""
    import time

    from stepstream.aws import client
    from stepstream.config import Settings

    db, table = client("dynamodb"), Settings.from_env().realtime_table
    expires = str(int(time.time()) + 3600)
    ids = [f"bench{uuid.uuid4().hex[:12]}=" for _ in range(count)]
    for start in range(0, count, 25):
        db.batch_write_item(
            RequestItems={
                table: [
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": {"S": f"CH#{channel}"},
                                "sk": {"S": f"CONN#{connection_id}"},
                                "topics": {"SS": topics},
                                "expires_at": {"N": expires},
                                "ttl": {"N": expires},
                                "connection_id": {"S": connection_id},
                                "channel": {"S": channel},
                            }
                        }
                    }
                    for connection_id in ids[start : start + 25]
                ]
            }
        )
    return ids


def run_importing(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str, int]:
    """Run ``argv`` (a ``python -X importtime`` command) to completion: its stderr (the
    importtime lines), its stdout and the CPU time it used in microseconds. Raises with the
    child's last error line if it failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        last = [line for line in result.stderr.splitlines() if not line.startswith("import time")]
        raise RuntimeError(last[-1] if last else f"exit {result.returncode}")
    return result.stderr, result.stdout, int(cpu * 1_000_000)
