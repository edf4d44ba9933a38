"""The engine's one I/O rule: ``async def`` code never makes a blocking call itself.

The store, the queue and the blob store stay synchronous (boto3, or plain Python in memory), so
every call to them from ``async def`` code goes through :func:`offload`, which runs it on the
engine's own worker threads while the event loop goes on with parallel steps. That covers
everything such a call may do: a checkpoint, a release, sending events (``step.send_event``,
``step.invoke``), a run's follow-ups, fault hooks (tests do I/O in them). The user's blocking
code (a ``def`` function, a ``def`` step body) goes through :func:`in_worker_thread` instead.
``tests/architecture/test_io_policy.py`` fails if a store or queue method runs on a thread that
runs an event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

IO_THREADS = 16
"""Concurrent store calls per process (boto3's pool holds 50 connections). These threads are
the engine's own, so a checkpoint never queues behind user step bodies in asyncio's default
executor (6 threads on a 2-core Lambda)."""
_pool = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="stepstream-io")


async def offload(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)``, a store, queue or blob call (or a sync function making
    them), on an engine I/O thread, with the caller's context variables."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_pool, call)


async def in_worker_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the user's blocking code (a ``def`` function or step body) in asyncio's default
    executor."""
    return await asyncio.to_thread(fn, *args, **kwargs)
