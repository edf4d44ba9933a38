"""``Realtime``: publish typed messages to channels, from a run or from any code.

The caller's path does only what must happen before ``publish`` returns: validate the data
against the topic, take a seq (from memory; a DynamoDB request once per block), build the frame
and check its size. Keeping (history) and posting happen on background threads (see
``_fanout``); call :meth:`Realtime.flush` before a Lambda invocation ends so nothing is left
queued when the container freezes. A durable publish also writes its history item before
returning, conditionally on its message id, so it is kept exactly once.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from .. import _metrics
from .._config import MAX_COALESCE_LINGER_MS, Settings
from .._errors import NonRetriableError, PayloadTooLargeError
from ..store import ConnectionsApi, ConnectionStore
from ..store._fanout_queue import FanoutQueue
from ._authorize import Authorize, require_signing_key
from ._fanout import Fanout, Poster, Sharding
from ._frames import MAX_SERVER_FRAME_BYTES, data_frame, frame_size, run_frame
from ._seq import SeqAllocator
from ._topic import PublishValidationError, TopicRef

DEFAULT_RETENTION_SECONDS = 24 * 60 * 60
DEFAULT_CACHE_SECONDS = 1.0
DEFAULT_WORKERS = 16
DEFAULT_SHARD_THRESHOLD = 500
"""Subscribers on a channel from which the fan-out function posts its frames: between the
measured 100 (the publisher is faster) and 1,000 (the fan-out function is); docs/realtime.md,
"Fan-out past one Lambda"."""
DEFAULT_SHARD_SIZE = 128
"""Connections per shard the shard count aims at."""
_SEQ_PLACEHOLDER = 10**15  # as wide as any real seq, for sizing a frame before taking one


class PublishTooLargeError(PayloadTooLargeError, NonRetriableError):
    """A message too big for one WebSocket frame; nothing was sent. Non-retriable: the same
    payload would be refused again."""


def subscriber_cache_seconds() -> float:
    """How long a publisher may reuse a channel's subscriber list
    (``STEPSTREAM_SUBSCRIBER_CACHE_SECONDS``, default 1 s)."""
    return _env_number("STEPSTREAM_SUBSCRIBER_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r} must not be negative")
    return value


def sharding_from_env() -> Sharding | None:
    """The hand-over to the fan-out function, if ``STEPSTREAM_FANOUT_QUEUE_URL`` names its
    queue and ``STEPSTREAM_FANOUT_SHARD_THRESHOLD`` is not 0."""
    url = os.environ.get("STEPSTREAM_FANOUT_QUEUE_URL")
    threshold = int(_env_number("STEPSTREAM_FANOUT_SHARD_THRESHOLD", DEFAULT_SHARD_THRESHOLD))
    if not url or threshold <= 0:
        return None
    size = int(_env_number("STEPSTREAM_FANOUT_SHARD_SIZE", DEFAULT_SHARD_SIZE))
    if size < 1:
        raise ValueError(f"STEPSTREAM_FANOUT_SHARD_SIZE={size} must be at least 1")
    return Sharding(FanoutQueue(url), threshold=threshold, shard_size=size)


def _workers_from_env() -> int:
    # boto3's connection pool (stepstream._aws) holds 50; more workers would only wait for it
    return max(1, min(50, int(_env_number("STEPSTREAM_FANOUT_WORKERS", DEFAULT_WORKERS))))


class Realtime:
    """Publishing for one app. ``app.realtime`` is one of these."""

    def __init__(
        self,
        app_id: str,
        *,
        store: ConnectionStore | None = None,
        poster: Poster | None = None,
        cache_seconds: float | None = None,
        retention_seconds: int | None = None,
        workers: int | None = None,
        sharding: Sharding | Literal[False] | None = None,
        linger_ms: float | None = None,
    ) -> None:
        """``sharding``: how frames of a wide channel go to the fan-out function; None: from
        the environment (:func:`sharding_from_env`) unless a ``poster`` is given (its caller
        wants every post through it); False: this process posts every frame itself.

        ``linger_ms``: how long a coalescing connection's lane waits after a post for more
        frames (fewer messages, more lag; docs/realtime.md, "Coalesced frames"); None: from
        ``STEPSTREAM_COALESCE_LINGER_MS`` (:class:`~stepstream.config.Settings`)."""
        if linger_ms is None:
            linger_ms = Settings.from_env().coalesce_linger_ms
        elif (
            isinstance(linger_ms, bool)
            or not isinstance(linger_ms, int | float)
            or not 0 <= linger_ms <= MAX_COALESCE_LINGER_MS
        ):
            raise ValueError(
                f"linger_ms must be a number of milliseconds from 0 to "
                f"{MAX_COALESCE_LINGER_MS:g}, got {linger_ms!r}"
            )
        self.linger_ms = float(linger_ms)
        self.app_id = app_id
        self.store = store or ConnectionStore()
        self.retention_seconds = int(
            retention_seconds
            if retention_seconds is not None
            else _env_number("STEPSTREAM_HISTORY_RETENTION_SECONDS", DEFAULT_RETENTION_SECONDS)
        )
        cache = cache_seconds if cache_seconds is not None else subscriber_cache_seconds()
        self.authorize: Authorize = require_signing_key
        """Decides who gets tokens from the token endpoint (see ``_authorize``)."""
        self._seq = SeqAllocator(self.store.allocate_seq)
        self._order = threading.Lock()
        self._fanout = Fanout(
            self.store,
            (lambda: poster) if poster is not None else ConnectionsApi,
            cache_seconds=cache,
            workers=workers or _workers_from_env(),
            sharding=(
                (sharding_from_env() if poster is None else None)
                if sharding is None
                else (sharding or None)
            ),
            linger=self.linger_ms / 1000,
        )

    def authorizer(self, hook: Authorize) -> Authorize:
        """Decorator installing ``hook`` as the token endpoint's authorize hook."""
        self.authorize = hook
        return hook

    # --- publishing ---

    async def publish(
        self,
        ref: TopicRef,
        data: Any,
        *,
        run_id: str | None = None,
        fn_id: str | None = None,
        message_id: str | None = None,
        durable: bool = False,
    ) -> dict[str, Any]:
        """Validate ``data`` against ``ref``'s topic and send it; returns the data frame.

        Raises :class:`PublishValidationError` or :class:`PayloadTooLargeError` with nothing sent.
        """
        _check_ref(ref)
        call = functools.partial(
            self.publish_sync,
            ref,
            data,
            run_id=run_id,
            fn_id=fn_id,
            message_id=message_id,
            durable=durable,
        )
        if durable or not self._seq.ready(ref.channel):
            # these touch DynamoDB; keep the event loop free meanwhile
            return await asyncio.to_thread(call)
        return call()

    def publish_sync(
        self,
        ref: TopicRef,
        data: Any,
        *,
        run_id: str | None = None,
        fn_id: str | None = None,
        message_id: str | None = None,
        durable: bool = False,
    ) -> dict[str, Any]:
        """:meth:`publish` for synchronous code."""
        _check_ref(ref)
        value = ref.validate(data)
        fields = {
            "channel": ref.channel,
            "topic": ref.topic,
            "data": value,
            "run_id": run_id,
            "fn_id": fn_id,
            "id": message_id or uuid.uuid4().hex,
        }
        try:
            size = frame_size(data_frame(seq=_SEQ_PLACEHOLDER, **fields))
        except ValueError as exc:  # NaN or infinity: JSON has no such numbers
            raise PublishValidationError(ref.channel, ref.topic, str(exc)) from exc
        if size > MAX_SERVER_FRAME_BYTES:
            _metrics.realtime_too_large()
            raise PublishTooLargeError(
                f"the message for channel {ref.channel!r} topic {ref.topic!r} is {size} bytes "
                f"as a frame; API Gateway delivers at most {MAX_SERVER_FRAME_BYTES} bytes per "
                "WebSocket message, so publish a smaller payload (e.g. a link to the data in S3)"
            )
        _metrics.realtime_published()
        keep_until = int(time.time()) + self.retention_seconds
        if durable:
            frame = data_frame(seq=self._seq.take(ref.channel), **fields)
            frame = self.store.keep_once(ref.channel, frame, ttl=keep_until)
            self._fanout.submit(ref.channel, frame, topic=ref.topic, keep_until=None)
            return frame
        keep = keep_until if ref.history else None
        # Seq order must be queue order, or a connection would see 6 before 5 when two threads
        # publish at once; the lock is held across I/O only while a new block is reserved.
        with self._order:
            frame = data_frame(seq=self._seq.take(ref.channel), **fields)
            self._fanout.submit(ref.channel, frame, topic=ref.topic, keep_until=keep)
        return frame

    async def run_status(
        self,
        *,
        run_id: str,
        fn_id: str,
        status: str,
        channels: Sequence[str] = (),
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Send a ``run`` lifecycle frame to every subscriber of ``channels``.

        An output too large for one frame is left out (the data frames carry results)."""
        for channel in dict.fromkeys(channels):
            fields = {"channel": channel, "run_id": run_id, "fn_id": fn_id, "status": status}
            frame = run_frame(id=f"{run_id}:{status}", output=output, error=error, **fields)
            if frame_size(frame) > MAX_SERVER_FRAME_BYTES:
                frame = run_frame(id=f"{run_id}:{status}", error=_small(error), **fields)
            self._fanout.submit(channel, frame, topic=None, keep_until=None)

    async def flush(self) -> None:
        """Wait until everything published so far is kept and posted. Call it before a Lambda
        invocation ends (the executor does); it also retires this process's seq blocks and its
        cached subscriber sets, so the cache never outlives the invocation that filled it."""
        await asyncio.to_thread(self.flush_sync)

    def flush_sync(self, timeout: float | None = None) -> None:
        """:meth:`flush` for synchronous code."""
        self._seq.release()
        try:
            self._fanout.flush(timeout)
        finally:
            self._fanout.forget_subscribers()

    def forget_subscribers(self, channel: str | None = None) -> None:
        """Drop cached subscriber sets so the next publish queries them again."""
        self._fanout.forget_subscribers(channel)

    def close(self) -> None:
        """Send what is queued, then stop the background threads."""
        self._fanout.close()


def _check_ref(ref: Any) -> None:
    if not isinstance(ref, TopicRef):
        raise TypeError(
            f"publish takes a topic reference such as my_channel(...).status, not "
            f"{type(ref).__name__}"
        )


def _small(error: dict[str, Any] | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {k: (v[:4096] if isinstance(v, str) else v) for k, v in error.items()}
