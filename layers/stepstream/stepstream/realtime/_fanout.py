"""Posting frames to subscribers, off the publisher's path.

``submit`` only appends to an inbox and returns. A dispatcher thread takes everything waiting,
writes the frames to be kept in ``BatchWriteItem``s, looks up each channel's subscribers (one
``Query``, cached for ``cache_seconds``) and appends each frame to the lane of every connection
that wants its topic. A pool of workers drains the lanes: connections are posted to
concurrently, but one lane is drained by one worker at a time, so each connection receives its
frames in publish order. A connection that answers 410 Gone is forgotten.

A lane posts its next frame as soon as the previous post is answered: with ~30 ms per post on AWS
a lane delivers ~33 messages a second at most. Frames that queue meanwhile go out together, in one
``batch`` frame of up to one 32 KB billing unit, to a connection that asked for coalesced frames
when it connected (``Subscription.coalesce``); any other connection gets one frame per post, as
Inngest's protocol has it (docs/realtime.md, "Coalesced frames").

A coalescing lane may also *linger*: after a post is answered it waits up to ``linger`` seconds
for more frames before the next post, unless what it holds already fills a billing unit. Fewer,
fuller messages for a longer wait: a token that just missed a post waits the post in flight, the
linger and its own post (docs/realtime.md, "Coalesced frames"). The wait holds no worker: the
lane is parked with a due time, and a timer thread hands it back to the pool.

A channel with at least ``Sharding.threshold`` subscribers is not posted from here: each frame
goes, as one SQS FIFO message per shard of the channel's connection index, to the fan-out
function, which posts one shard per invocation (``_shard_fanout``; docs/realtime.md, "Fan-out
past one Lambda").
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from .. import _metrics, _tracing
from ..cost import Ledger, charging, current_ledger
from ..store import Subscription
from ..store._fanout_queue import FanoutEntry
from ._frames import COALESCE_BUDGET_BYTES, coalesce, dumps
from ._shards import MAX_CONNECTIONS, ShardMessage, shard_count, shard_of

_log = logging.getLogger("stepstream.realtime")
_TURN = 16
"""Frames a worker posts to one connection before letting other connections have a turn."""
_BATCH_OVERHEAD = len(b'{"kind":"batch","data":[]}')


class FanoutStore(Protocol):
    def subscribers(self, channel: str) -> list[Subscription]: ...
    def remove_connection(self, connection_id: str) -> None: ...
    def keep(self, channel: str, frames: Sequence[dict[str, Any]], *, ttl: int) -> None: ...


class Poster(Protocol):
    def post(self, connection_id: str, data: bytes) -> bool: ...


class ShardQueue(Protocol):
    def send(self, entries: Sequence[FanoutEntry]) -> None: ...


@dataclass(frozen=True)
class Sharding:
    """When and how a publisher hands a channel's fan-out to the fan-out function."""

    queue: ShardQueue
    threshold: int
    """Subscribers on a channel from which its frames are sharded."""
    shard_size: int
    """Connections per shard the shard count aims at."""


class _NoPoster(Exception):
    """The ``@connections`` client could not be made; frames are dropped (reported once)."""


@dataclass
class _Item:
    channel: str
    frame: dict[str, Any]
    topic: str | None  # None: every subscriber of the channel (run frames)
    keep_until: int | None  # epoch seconds to keep it for replay, or None
    # The publishing invocation's context: its SQS hand-over is sent in it, so the local IAM
    # emulation knows which function sends and the message continues the invocation's chain.
    context: contextvars.Context
    trace: Any = None  # the publisher's open trace span: the dispatcher thread has none
    ledger: Ledger | None = None  # the run whose cost ledger the frame's requests go to


class _Lane:
    """The frames waiting for one connection, and whether it takes them coalesced."""

    def __init__(self, coalesced: bool) -> None:
        self.frames: deque[bytes] = deque()
        self.ledgers: deque[Ledger | None] = deque()  # each frame's run, for its post's cost
        self.coalesced = coalesced
        self.size = 0  # bytes of the queued frames
        self.posted_at: float | None = None  # monotonic time the last post was answered
        self.due: float | None = None  # parked (lingering) until then; None: with the pool

    def append(self, data: bytes, ledger: Ledger | None) -> None:
        self.frames.append(data)
        self.ledgers.append(ledger)
        self.size += len(data)

    def popleft(self) -> None:
        self.size -= len(self.frames.popleft())
        self.ledgers.popleft()

    def pop(self) -> None:
        self.size -= len(self.frames.pop())
        self.ledgers.pop()

    def full(self) -> bool:
        """Whether the queued frames fill a coalesced post: lingering could add nothing."""
        return self.size + len(self.frames) + _BATCH_OVERHEAD > COALESCE_BUDGET_BYTES


def _wants(subscription: Subscription, item: _Item) -> bool:
    if item.topic is not None and item.topic not in subscription.topics:
        return False
    # While a history replay runs (live_after = HOLD) no data frame may be posted in between.
    # After it hands over, every frame goes out, even one with seq <= live_after: with two
    # publishers on a channel a lower seq can be a message the replay never saw, and one it did
    # replay arrives twice at most, which clients drop by id.
    return item.frame.get("seq") is None or not subscription.held


class Fanout:
    """The background half of publishing; :meth:`flush` waits until it is idle."""

    def __init__(
        self,
        store: FanoutStore,
        poster: Callable[[], Poster],
        *,
        cache_seconds: float = 1.0,
        workers: int = 16,
        sharding: Sharding | None = None,
        linger: float = 0.0,
    ) -> None:
        """``linger``: seconds a coalescing lane waits after a post for more frames before its
        next post (0: none)."""
        if not linger >= 0:  # also refuses NaN
            raise ValueError(f"linger must be a non-negative number of seconds, got {linger!r}")
        self._store = store
        self._poster_factory = poster
        self._poster: Poster | None = None
        self._poster_error: Exception | None = None
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, list[Subscription]]] = {}
        self._cond = threading.Condition()
        self._inbox: deque[_Item] = deque()
        self._lanes: dict[str, _Lane] = {}
        self._outstanding = 0  # inbox items + lane items not yet handled
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None
        self._closed = False
        self._errors: list[BaseException] = []
        self._sharding = sharding
        self._sharded: set[str] = set()  # channels whose last frame went through the queue
        self._shard_counts: dict[str, int] = {}  # the shard count each sharded channel uses
        self._linger = linger
        self._parked: list[tuple[float, int, str, _Lane]] = []  # heap of lingering lanes
        self._parked_order = itertools.count()
        self._timer: threading.Thread | None = None
        self.shard_messages = 0
        """Shard messages handed to the fan-out queue so far (benchmarks count them)."""

    def submit(
        self, channel: str, frame: dict[str, Any], *, topic: str | None, keep_until: int | None
    ) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("this Realtime is closed; create a new one to publish")
            item = _Item(
                channel,
                frame,
                topic,
                keep_until,
                contextvars.copy_context(),
                _tracing.current.get(),
                current_ledger(),
            )
            self._inbox.append(item)
            self._outstanding += 1
            self._start()
            self._cond.notify_all()

    def _start(self) -> None:
        if self._dispatcher is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="stepstream-post")
            self._dispatcher = threading.Thread(
                target=self._dispatch_forever, name="stepstream-fanout", daemon=True
            )
            self._dispatcher.start()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every submitted frame is kept and posted (or found undeliverable).

        Raises the first unexpected error the background work met since the last flush."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._outstanding == 0, timeout):
                raise TimeoutError(f"{self._outstanding} frames still unsent after {timeout} s")
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join()
        with self._cond:  # lanes re-queue themselves, so the pool must stay open until idle
            self._cond.wait_for(lambda: self._outstanding == 0)
        if self._timer is not None:  # idle: what it still holds are empty lanes
            self._timer.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def forget_subscribers(self, channel: str | None = None) -> None:
        with self._cond:
            if channel is None:
                self._cache.clear()
            else:
                self._cache.pop(channel, None)

    # --- the dispatcher thread ---

    def _dispatch_forever(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._inbox or self._closed)
                if not self._inbox:
                    return  # closed and drained
                batch = list(self._inbox)
                self._inbox.clear()
            try:
                with _tracing.span(
                    "realtime publish batch", parent=batch[0].trace, frames=len(batch)
                ):
                    self._dispatch(batch)
            except Exception as exc:  # keep the dispatcher alive whatever happens
                self._failed("realtime fan-out failed", exc)
            finally:
                with self._cond:
                    self._outstanding -= len(batch)
                    self._cond.notify_all()

    def _failed(self, what: str, exc: Exception) -> None:
        """Log a background failure; the next :meth:`flush` raises it."""
        _log.error("%s: %s", what, exc, exc_info=exc)
        with self._cond:
            self._errors.append(exc)

    def _dispatch(self, batch: list[_Item]) -> None:
        # Keep before posting: a replay that releases its hold after this point finds these
        # frames in history (docs/realtime.md, "History and resume").
        kept: dict[tuple[str, int], list[_Item]] = {}
        for item in batch:
            if item.keep_until is not None:
                kept.setdefault((item.channel, item.keep_until), []).append(item)
        for (channel, ttl), items in kept.items():
            frames = [item.frame for item in items]
            try:
                # One write for frames of several runs: charged to the first one's.
                with charging(items[0].ledger):
                    self._store.keep(channel, frames, ttl=ttl)
            except Exception as exc:  # live subscribers still get them
                self._failed(f"keeping {len(frames)} frames of {channel!r} failed", exc)
        unreachable: set[str] = set()
        # One lookup per channel per batch, even when it holds a subscription: every frame of
        # the batch was kept above, before this lookup, so a replay that releases its hold after
        # it finds them all in history, as for a single frame. Looking up per frame while any
        # socket resumed (held subscriptions are never cached) made the dispatcher query the
        # whole channel for every frame (bench.soak: 1,000 subscribers, 500 resuming).
        looked_up: dict[str, list[Subscription]] = {}
        for item in batch:
            if item.channel in unreachable:
                continue
            try:
                subscribers = looked_up.get(item.channel)
                if subscribers is None:
                    with charging(item.ledger):
                        subscribers = looked_up[item.channel] = self._subscribers(item.channel)
            except Exception as exc:
                unreachable.add(item.channel)
                self._failed(f"looking up the subscribers of {item.channel!r} failed", exc)
                continue
            sharding = self._sharding
            if sharding is not None and self._hands_over(sharding, item.channel, subscribers):
                try:
                    self._hand_over(sharding, item, subscribers)
                except Exception as exc:
                    self._failed(f"handing {item.channel!r} to the fan-out queue failed", exc)
                continue
            if item.channel in self._sharded:
                self._sharded.discard(item.channel)  # back under the threshold: post here
                self._shard_counts.pop(item.channel, None)
            targets = [(s.connection_id, s.coalesce) for s in subscribers if _wants(s, item)]
            if targets:
                _metrics.fanout_shards(1)  # fan-out shard count: this invocation posts it
                _metrics.realtime_dispatched(item.frame)
                with _tracing.span(
                    "realtime fanout",
                    # Under the batch's span when it is in the same trace.
                    parent=None if item.trace is batch[0].trace else item.trace,
                    channel=item.channel,
                    connections=len(targets),
                ):
                    self._enqueue(targets, dumps(item.frame).encode("utf-8"), item.ledger)

    def _hands_over(
        self, sharding: Sharding, channel: str, subscribers: list[Subscription]
    ) -> bool:
        """Whether the channel's frames go to the fan-out queue: from the threshold up, and once
        they do, until the channel falls under half of it. Each switch between the two paths can
        let a frame overtake one still queued on the other (docs/realtime.md, "Fan-out past one
        Lambda", Order), so a channel near the threshold must not flip at every lookup."""
        if channel in self._sharded:
            return len(subscribers) * 2 >= sharding.threshold
        return len(subscribers) >= sharding.threshold

    def _shards_for(self, sharding: Sharding, channel: str, subscribers: int) -> int:
        """The channel's shard count: grown as soon as shards would be over their size, shrunk
        only when a quarter of the count would do. A connection changes message group only when
        the count changes, and that is when its frames may be reordered; a channel hovering
        around a boundary keeps its count."""
        wanted = shard_count(subscribers, sharding.shard_size)
        current = self._shard_counts.get(channel)
        if current is None or wanted > current or wanted * 4 <= current:
            self._shard_counts[channel] = current = wanted
        return current

    def _hand_over(self, sharding: Sharding, item: _Item, subscribers: list[Subscription]) -> None:
        """One FIFO message per shard that has a connection wanting the frame. The first time
        a channel is sharded, frames already in this process's lanes go out first, so a
        connection never gets a later frame before them."""
        if item.channel not in self._sharded:
            with self._cond:
                self._cond.wait_for(lambda: not self._lanes)
            self._sharded.add(item.channel)
        shards = self._shards_for(sharding, item.channel, len(subscribers))
        _metrics.fanout_shards(shards)  # fan-out shard count: the shards' invocations post it
        by_shard: dict[int, list[tuple[str, bool]]] = {}
        for s in subscribers:
            if _wants(s, item):
                by_shard.setdefault(shard_of(s.connection_id, shards), []).append(
                    (s.connection_id, s.coalesce)
                )
        body = dumps(item.frame)
        frame_id = f"{item.frame.get('id')}\0{item.frame.get('seq')}"
        entries = []
        for shard, connections in sorted(by_shard.items()):
            # A shard past MAX_CONNECTIONS (an uneven hash) takes several messages of its group.
            for start in range(0, len(connections), MAX_CONNECTIONS):
                part = tuple(connections[start : start + MAX_CONNECTIONS])
                message = ShardMessage(item.channel, shard, shards, part, body)
                dedupe = message.deduplication_id(f"{frame_id}\0{start}")
                entries.append(FanoutEntry(body, message.attributes(), message.group, dedupe))
        if entries:
            item.context.run(sharding.queue.send, entries)
        with self._cond:
            self.shard_messages += len(entries)

    def _subscribers(self, channel: str) -> list[Subscription]:
        now = time.monotonic()
        with self._cond:
            cached = self._cache.get(channel)
        # A list with a held subscription is not reused: the replay may release it any moment,
        # and a publisher that kept skipping it after the release would leave a gap.
        if (
            cached is not None
            and now - cached[0] < self._cache_seconds
            and not any(s.held for s in cached[1])
        ):
            return cached[1]
        found = self._store.subscribers(channel)
        with self._cond:
            self._cache[channel] = (now, found)
        return found

    def _enqueue(self, targets: list[tuple[str, bool]], data: bytes, ledger: Ledger | None) -> None:
        assert self._pool is not None
        with self._cond:
            for connection_id, coalesced in targets:
                lane = self._lanes.get(connection_id)
                self._outstanding += 1
                if lane is None:
                    lane = self._lanes[connection_id] = _Lane(coalesced)
                    lane.append(data, ledger)
                    self._pool.submit(self._drain, connection_id)
                else:
                    lane.append(data, ledger)
                    if lane.due is not None and lane.full():
                        lane.due = None  # a full unit goes now; the timer skips the stale entry
                        self._pool.submit(self._drain, connection_id)

    # --- worker threads ---

    def _drain(self, connection_id: str) -> None:
        for _ in range(_TURN):
            with self._cond:
                lane = self._lanes[connection_id]
                if self._park(connection_id, lane):
                    return
                if not lane.frames:
                    del self._lanes[connection_id]
                    self._cond.notify_all()
                    return
                if lane.coalesced and len(lane.frames) > 1:
                    data, handled = coalesce(lane.frames)
                else:
                    data, handled = lane.frames[0], 1
                ledger = lane.ledgers[0]  # a coalesced post is charged to its first frame's run
            posted = handled
            try:
                with charging(ledger):
                    delivered = self._post(connection_id, data)
                if not delivered:
                    handled += self._gone(connection_id, posted)
            except _NoPoster:
                pass  # reported once when the client could not be made
            except Exception as exc:
                # Throttling (429) and 5xx answers were retried with backoff by the client
                # (botocore's standard mode); what is left (413 too large, 403, retries spent)
                # would fail again. Drop the frame, counted, rather than hold up the
                # connection's later frames; a durable frame can be had again with ``since``.
                _metrics.realtime_post_failed()
                _log.warning(
                    "posting to connection %s failed, frame dropped: %s", connection_id, exc
                )
            with self._cond:
                for _ in range(posted):
                    lane.popleft()
                lane.posted_at = time.monotonic()
                self._outstanding -= handled
                self._cond.notify_all()
        # Turn over: the lane goes to the back of the pool's queue so one busy connection cannot
        # keep a worker while other connections wait. It stays in _lanes, so order still holds.
        assert self._pool is not None
        self._pool.submit(self._drain, connection_id)

    def _post(self, connection_id: str, data: bytes) -> bool:
        if self._poster is None:
            with self._cond:
                if self._poster_error is not None:
                    raise _NoPoster from self._poster_error
            try:
                self._poster = self._poster_factory()
            except Exception as exc:  # e.g. no STEPSTREAM_WS_MANAGEMENT_URL: say so once
                with self._cond:
                    self._poster_error = exc
                self._failed("cannot post to @connections", exc)
                raise _NoPoster from exc
        delivered = self._poster.post(connection_id, data)
        _metrics.realtime_posted(delivered)
        return delivered

    def _gone(self, connection_id: str, posted: int) -> int:
        """Forget a connection that answered 410; returns how many queued frames were dropped
        (besides the ``posted`` ones, counted by the caller)."""
        try:
            self._store.remove_connection(connection_id)
        except Exception as exc:
            _log.warning("could not remove gone connection %s: %s", connection_id, exc)
        with self._cond:
            lane = self._lanes[connection_id]
            dropped = len(lane.frames) - posted
            for _ in range(dropped):
                lane.pop()
            self._cache.clear()
        return dropped

    # --- lingering ---

    def _park(self, connection_id: str, lane: _Lane) -> bool:
        """Under the lock: leave the lane to the timer if it should linger before its next post
        (it posted less than ``linger`` ago, coalesces, and its queue does not fill a unit)."""
        if not self._linger or not lane.coalesced or lane.posted_at is None or lane.full():
            return False
        due = lane.posted_at + self._linger
        if due <= time.monotonic():
            return False
        lane.due = due
        heapq.heappush(self._parked, (due, next(self._parked_order), connection_id, lane))
        if self._timer is None:
            self._timer = threading.Thread(
                target=self._wake_forever, name="stepstream-linger", daemon=True
            )
            self._timer.start()
        self._cond.notify_all()
        return True

    def _wake_forever(self) -> None:
        """Hand each parked lane back to the pool when its linger ends; an empty one is done.
        Stops once closed with nothing left to post."""
        with self._cond:
            while True:
                now = time.monotonic()
                while self._parked and self._parked[0][0] <= now:
                    due, _, connection_id, lane = heapq.heappop(self._parked)
                    if lane.due != due or self._lanes.get(connection_id) is not lane:
                        continue  # went early (a full unit) or was replaced
                    lane.due = None
                    if lane.frames:
                        assert self._pool is not None
                        self._pool.submit(self._drain, connection_id)
                    else:
                        del self._lanes[connection_id]
                        self._cond.notify_all()
                if self._closed and self._outstanding == 0:
                    for _, _, connection_id, lane in self._parked:
                        if self._lanes.get(connection_id) is lane and not lane.frames:
                            del self._lanes[connection_id]
                    self._parked.clear()
                    self._cond.notify_all()
                    return
                timeout = self._parked[0][0] - now if self._parked else None
                self._cond.wait(timeout)
