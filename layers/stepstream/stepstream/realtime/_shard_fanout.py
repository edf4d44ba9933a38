"""The fan-out function's work: post a batch of shard messages to the connections they name.

A batch (Lambda's SQS event) holds messages of one or more FIFO groups, one group per shard, in
each group's order. Every connection named in the batch gets its frames in that order, one post
after the other (coalesced into ``batch`` frames for a connection that asked, as the
publisher's lanes do); different connections, of one shard or several, are posted to
concurrently. A 410 forgets the connection and drops its remaining frames; any other failed post
is logged and that frame skipped, as in the publisher. Nothing is read from DynamoDB: the
publisher names each shard's connections (``_shards``).

A message this version did not write is refused: logged with the reason and acknowledged, since
the same bytes would be refused again. An invocation that crashes acknowledges nothing, and SQS
gives its batch back (docs/realtime.md says what that repeats).

An invocation that nears its timeout stops starting posts (``STOP_AT``) and hands back, as
partial batch failures, each shard's messages from the first one not yet posted to every
connection it names: SQS redelivers those in order, and only connections that had got further
see a frame twice. Killed at the timeout instead, it would hand back the whole batch (every
connection's frames again) and lose its execution environment.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._fanout import Poster
from ._frames import coalesce
from ._shards import ShardMessage, ShardMessageError

_log = logging.getLogger("stepstream.realtime")
DEFAULT_CONCURRENCY = 256
"""Posts in flight per invocation: a shard of ~128 connections is one round trip, and a batch
of 8 such shards (one 1,000-subscriber message) four rather than 16 at 64. A thread waiting on
its post costs no CPU; past a core's worth of posts, more in flight only queue for the CPU."""
CONCURRENCY_ENV = "STEPSTREAM_FANOUT_CONCURRENCY"
MAX_CONCURRENCY = 1024
REMEMBERED_GONE = 4096
"""Gone connections an execution environment remembers (about 0.3 MB of ids)."""
STOP_AT = 0.8
"""Share of the time left at the start of an invocation after which it starts no more posts:
the rest is for the posts already in flight and the answer (3 s of the template's 15 s)."""
REMOVALS_IN_FLIGHT = 32
"""Gone connections removed from DynamoDB at once, within the shared client's connection pool
(``stepstream.aws``). Past the pool, urllib3 opens and throws away a connection per call
("Connection pool is full"; a TLS handshake each on AWS): 256 posting threads each removing the
connection it found gone did that when half of ``bench.soak``'s sockets left at once. Counted
per process, not per invocation: on AWS a process is one execution environment, and under
``stepstream dev`` every environment's invocations share the process's one client."""
_removals = threading.BoundedSemaphore(REMOVALS_IN_FLIGHT)
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _posting_pool(size: int) -> ThreadPoolExecutor:
    """The process's pool of ``size`` posting threads. On AWS a process is one execution
    environment, so this is that environment's pool. ``stepstream dev`` hosts every fan-out
    environment in one process: a pool each kept ~10 x 128 idle threads after ``bench.soak``
    (1,298 threads, each with its keep-alive connection to the gateway), all contending for one
    GIL; shared, their posts queue for the same threads, and an invocation whose lanes start
    late hands back what it could not post in time (``STOP_AT``)."""
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None:
            pool = _pools[size] = ThreadPoolExecutor(size, thread_name_prefix="stepstream-shard")
        return pool


def concurrency_from_env() -> int:
    """Posts in flight per invocation: ``STEPSTREAM_FANOUT_CONCURRENCY``, else the default."""
    raw = os.environ.get(CONCURRENCY_ENV, "").strip()
    if not raw:
        return DEFAULT_CONCURRENCY
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_CONCURRENCY:
        raise ValueError(f"{CONCURRENCY_ENV}={raw!r} must be a whole number 1-{MAX_CONCURRENCY}")
    return int(raw)


class ShardStore(Protocol):
    def remove_connection(self, connection_id: str) -> None: ...


@dataclass
class ShardReport:
    """What one invocation did."""

    posted: int = 0
    gone: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Message ids of refused (malformed) messages."""
    handed_back: list[str] = field(default_factory=list)
    """Message ids left for SQS to deliver again: the time ran out before they were posted to
    every connection they name."""

    def response(self) -> dict[str, Any]:
        """Lambda's partial batch response: the messages handed back (a refused message would
        be refused again; a crash hands back the whole batch)."""
        return {"batchItemFailures": [{"itemIdentifier": m} for m in self.handed_back]}


@dataclass
class _Lane:
    frames: list[bytes] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    """The batch index of the message each frame came from."""
    coalesced: bool = False
    handled: int = 0
    """Frames posted (or given up on: a failed post is skipped, a gone connection ends)."""


class ShardFanout:
    """Posts shard messages; one per execution environment (its thread pool is reused)."""

    def __init__(
        self,
        store: ShardStore,
        poster: Callable[[], Poster],
        *,
        concurrency: int | None = None,
    ) -> None:
        """``concurrency``: posts in flight; None: :func:`concurrency_from_env`."""
        if concurrency is None:
            concurrency = concurrency_from_env()
        self._store = store
        self._poster_factory = poster
        self._poster: Poster | None = None
        self._pool = _posting_pool(max(1, concurrency))
        self._gone: OrderedDict[str, None] = OrderedDict()
        """Connections that answered 410 here, newest last. API Gateway never reuses a
        connection id, so a gone one stays gone; but shard messages already queued (a backlog
        behind a slow shard, or the publisher's subscriber list cached for a second) still name
        it, and each would cost a post and a ``remove_connection`` (a read and a write) again.
        Measured in ``bench.soak`` (600 sockets, 300 dropped): deliveries fell from ~110/s to
        ~15/s after the drop while every invocation re-forgot the same 300 connections."""
        self._gone_lock = threading.Lock()

    def handle(
        self, records: Sequence[Any], remaining_ms: Callable[[], int] | None = None
    ) -> ShardReport:
        """Post ``records``; ``remaining_ms`` (the Lambda context's
        ``get_remaining_time_in_millis``) sets when to stop starting posts (``STOP_AT``)."""
        started, woke = time.perf_counter(), time.time()
        stop_at = (
            time.monotonic() + max(0, remaining_ms()) * STOP_AT / 1000
            if remaining_ms is not None
            else float("inf")
        )
        report = ShardReport()
        lanes: dict[str, _Lane] = {}  # in first-seen order; each lane in the batch's order
        shards = set()
        groups: list[tuple[str, str] | None] = []  # per record: (message id, FIFO group)
        for index, record in enumerate(records):
            message_id = str(record.get("messageId", "?")) if isinstance(record, dict) else "?"
            try:
                message = ShardMessage.from_record(record)
            except ShardMessageError as exc:
                _log.error("refusing fan-out message %s: %s", message_id, exc)
                report.refused.append(message_id)
                groups.append(None)
                continue
            shards.add(message.group)
            groups.append((message_id, message.group))
            data = message.frame.encode("utf-8")
            for connection_id, coalesced in message.connections:
                if connection_id in self._gone:
                    continue
                lane = lanes.setdefault(connection_id, _Lane(coalesced=coalesced))
                lane.frames.append(data)
                lane.records.append(index)
        if self._poster is None and lanes:
            self._poster = self._poster_factory()
        # Each post runs in this invocation's context: the local IAM emulation checks it as
        # this function's call, as Lambda's role would.
        futures = [
            self._pool.submit(contextvars.copy_context().run, self._post_lane, item, stop_at)
            for item in lanes.items()
        ]
        for future in futures:
            posted, gone = future.result()
            report.posted += posted
            if gone is not None:
                report.gone.append(gone)
        report.handed_back = _unfinished(groups, lanes.values())
        if report.handed_back:
            _log.warning(
                "fan-out batch: time ran out after %.1f s; %d of %d messages handed back to SQS",
                time.perf_counter() - started,
                len(report.handed_back),
                len(records),
            )
        _log.debug(
            "fan-out batch: %d messages of %d shards, %d posts in %.1f ms; "
            "started %.0f ms after the send",
            len(records),
            len(shards),
            report.posted,
            (time.perf_counter() - started) * 1000,
            _since_sent(records, woke),
        )
        return report

    def _post_lane(self, item: tuple[str, _Lane], stop_at: float) -> tuple[int, str | None]:
        """Post one connection's frames in order until ``stop_at`` (monotonic);
        ``(posts, the connection if it is gone)``."""
        assert self._poster is not None
        connection_id, lane = item
        waiting = deque(lane.frames)
        posted = 0
        while waiting and time.monotonic() < stop_at:
            if lane.coalesced and len(waiting) > 1:
                data, taken = coalesce(waiting)
            else:
                data, taken = waiting[0], 1
            for _ in range(taken):
                waiting.popleft()
            try:
                if not self._poster.post(connection_id, data):
                    lane.handled = len(lane.frames)
                    self._forget(connection_id)
                    return posted, connection_id
            except Exception as exc:  # one undeliverable frame must not stop the later ones
                _log.warning("posting to connection %s failed: %s", connection_id, exc)
                lane.handled += taken
                continue
            lane.handled += taken
            posted += 1
        return posted, None

    def _forget(self, connection_id: str) -> None:
        with self._gone_lock:
            self._gone[connection_id] = None
            while len(self._gone) > REMEMBERED_GONE:
                self._gone.popitem(last=False)
        try:
            with _removals:
                self._store.remove_connection(connection_id)
        except Exception as exc:
            _log.warning("could not remove gone connection %s: %s", connection_id, exc)


def _unfinished(groups: Sequence[tuple[str, str] | None], lanes: Iterable[_Lane]) -> list[str]:
    """The message ids to hand back: in each FIFO group, the first message some connection did
    not get and every later one of that group (Lambda's rule for FIFO partial failures: a
    group's later messages may not be acknowledged past an earlier failure)."""
    unposted = {index for lane in lanes for index in lane.records[lane.handled :]}
    if not unposted:
        return []
    stopped: set[str] = set()
    handed_back = []
    for index, entry in enumerate(groups):
        if entry is None:
            continue
        message_id, group = entry
        if group in stopped or index in unposted:
            stopped.add(group)
            handed_back.append(message_id)
    return handed_back


def _since_sent(records: Sequence[Any], now: float) -> float:
    """How long the oldest message waited between the publisher's send and this invocation."""
    sent = [
        int(r["attributes"]["SentTimestamp"])
        for r in records
        if isinstance(r, dict) and str(r.get("attributes", {}).get("SentTimestamp", "")).isdigit()
    ]
    return now * 1000 - min(sent) if sent else float("nan")
