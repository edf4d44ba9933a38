"""Embedded moto's state on disk (``stepstream dev --state-dir PATH``), so a restart of the dev
stack keeps its runs, events, waits, sleeps, dedupe window, history and realtime ``seq``.

moto's server mode keeps everything in memory and has no persistence of its own. Its recorder
(``/moto-api/recorder/``) logs requests to replay them, which does not fit a dev stack: the
log grows with every poll (the pollers long-poll SQS every second, forever), replaying it
re-runs hours of traffic at startup, and replayed receives, delays and timestamps do not give
back the same queue. Instead the backends themselves are saved: the DynamoDB, SQS and S3
backends are plain Python objects (moto's own S3 keys define pickling), so they are pickled,
whole and consistent, while moto's requests are paused for the few milliseconds it takes.

- **When**: every :data:`SNAPSHOT_SECONDS` while something was written, and on a clean stop
  (Ctrl-C, SIGTERM). A SIGKILL'd process loses the writes of its last
  :data:`SNAPSHOT_SECONDS` at most (those after the last snapshot began).
- **Atomic**: a snapshot is written to a temporary file, flushed to disk and renamed over the
  previous one, so the folder always holds one complete snapshot, never a torn one.
- **Consistent**: requests that change state wait while the backends are pickled, so the
  snapshot is a point in time across the three services. ``ReceiveMessage`` does not wait (a
  long poll would hold every snapshot up for its whole wait): what it changes, a message's
  visibility, is what a restore resets anyway.
- **Restore**: messages that were received but not deleted become visible again at once: the
  invocations that held them died with the process (on AWS they would come back after their
  visibility timeout, minutes later locally for nothing). Delayed messages (sleep timers) keep
  their due time in wall-clock time, so an overdue timer fires as soon as the stack is up.
- **One owner**: a lock file keeps a second ``stepstream dev`` off the same folder.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("stepstream.dev")

SNAPSHOT_SECONDS = 1.0
"""How often state is saved while something changes."""
SERVICES = ("dynamodb", "sqs", "s3")
SNAPSHOT_FILE = "moto-state.pickle"
LOCK_FILE = "moto-state.lock"
_MAGIC = b"stepstream-moto-state"
_FORMAT = 1
_READ_ONLY = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "DescribeTable",
        "DescribeTimeToLive",
        "ListTables",
        "GetQueueUrl",
        "GetQueueAttributes",
        "ListQueues",
        "ListQueueTags",
    }
)
_LOCK_TYPE = type(threading.Lock())
_RLOCK_TYPE = type(threading.RLock())


class StateDirError(Exception):
    """The state folder cannot be used; the message says why and what to do."""


def _moto_version() -> str:
    import moto

    return str(moto.__version__)


class _Pickler(pickle.Pickler):
    """Locks and conditions (an SQS queue's, an S3 key's) are saved as new, unheld ones."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, threading.Condition):
            return (threading.Condition, ())
        if isinstance(obj, _LOCK_TYPE):
            return (threading.Lock, ())
        if isinstance(obj, _RLOCK_TYPE):
            return (threading.RLock, ())
        return NotImplemented


class _Pause:
    """Requests that write run concurrently; a snapshot waits for those in flight and holds new
    ones back while it pickles."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._active = 0
        self._paused = False

    @contextmanager
    def request(self) -> Generator[None, None, None]:
        with self._condition:
            while self._paused:
                self._condition.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._condition:
                self._active -= 1
                if not self._active:
                    self._condition.notify_all()

    @contextmanager
    def paused(self) -> Generator[None, None, None]:
        with self._condition:
            self._paused = True
            while self._active:
                self._condition.wait()
        try:
            yield
        finally:
            with self._condition:
                self._paused = False
                self._condition.notify_all()


def _operation(environ: dict[str, Any]) -> str:
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return target.rpartition(".")[2]
    query = str(environ.get("QUERY_STRING", ""))
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "Action":
            return value
    return ""


class MotoState:
    """The state folder of one embedded moto: :meth:`open` (lock and restore), then
    :meth:`wrap` its WSGI app, :meth:`start` the snapshots, :meth:`close` (a last snapshot)."""

    def __init__(self, path: str | Path, snapshot_seconds: float = SNAPSHOT_SECONDS) -> None:
        self.path = Path(path).expanduser().resolve()
        self.file = self.path / SNAPSHOT_FILE
        self.snapshot_seconds = snapshot_seconds
        self.snapshots = 0
        self.restored = False
        self._pause = _Pause()
        self._dirty = False
        self._saving = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def open(self) -> None:
        """Take the folder (created if missing) and restore its snapshot into moto."""
        if self.path.exists() and not self.path.is_dir():
            raise StateDirError(f"--state-dir {self.path}: exists and is not a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateDirError(f"--state-dir {self.path}: cannot create it ({exc})") from exc
        self._lock()
        try:
            self._restore()
        except BaseException:
            self._unlock()
            raise

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="moto-state", daemon=True)
        self._thread.start()

    def close(self, save: bool = True) -> None:
        """Stop the periodic snapshots, save the state a last time (unless told not to) and
        release the folder."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._lock_fd is not None:
            try:
                if save:
                    self.save()
            finally:
                self._unlock()

    def wrap(self, app: Any) -> Any:
        """moto's WSGI app, with its requests counted so a snapshot can pause them."""

        def application(environ: dict[str, Any], start_response: Any) -> Any:
            operation = _operation(environ)
            if operation == "ReceiveMessage":
                return app(environ, start_response)
            with self._pause.request():
                if operation not in _READ_ONLY and environ.get("REQUEST_METHOD") not in (
                    "GET",
                    "HEAD",
                ):
                    self._dirty = True
                return app(environ, start_response)

        return application

    # --- snapshots ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(self.snapshot_seconds):
            if self._dirty:
                try:
                    self.save()
                except Exception:
                    log.exception("could not save the local AWS state to %s", self.file)

    def save(self) -> None:
        """Pickle the backends at one point in time and write them atomically."""
        with self._saving:
            data = self._pickle()
            tmp = self.file.with_name(self.file.name + ".tmp")
            with open(tmp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.file)
            _fsync_dir(self.path)
            self.snapshots += 1

    def _pickle(self) -> bytes:
        header = b"%s %d moto=%s\n" % (_MAGIC, _FORMAT, _moto_version().encode())
        for attempt in range(5):
            buffer = io.BytesIO()
            buffer.write(header)
            with self._pause.paused():
                self._dirty = False
                try:
                    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(_backends())
                    return buffer.getvalue()
                except RuntimeError:
                    # A ReceiveMessage (not paused) changed a queue's set of in-flight messages
                    # while it was pickled: try again.
                    self._dirty = True
                    if attempt == 4:
                        raise
            time.sleep(0.01)
        raise AssertionError("unreachable")

    def _restore(self) -> None:
        if not self.file.is_file():
            return
        raw = self.file.read_bytes()
        header, _, body = raw.partition(b"\n")
        parts = header.split(b" ")
        if len(parts) != 3 or parts[0] != _MAGIC or parts[1] != str(_FORMAT).encode():
            raise StateDirError(
                f"{self.file} is not a stepstream dev state file; remove it (or choose another "
                "--state-dir) to start with fresh state"
            )
        written_by = parts[2].decode(errors="replace")
        try:
            saved = pickle.loads(body)
        except Exception as exc:
            raise StateDirError(
                f"cannot read the state in {self.file} (written by {written_by}; this is "
                f"moto={_moto_version()}): {type(exc).__name__}: {exc}. Remove the folder (or "
                "choose another --state-dir) to start with fresh state"
            ) from exc
        _install(saved)
        self.restored = True

    # --- the folder's lock ----------------------------------------------------------------

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one dev stack per folder by convention
            return
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StateDirError(
                f"--state-dir {self.path} is in use by another stepstream dev; stop it, or "
                "choose another folder"
            ) from exc
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None


def _backends() -> dict[str, dict[str, dict[str, Any]]]:
    """service → account → region → moto backend, for the services the stack uses."""
    from moto.backends import get_backend

    return {
        service: {
            account: dict(regions.items())
            for account, regions in get_backend(service).items()  # type: ignore[call-overload]
        }
        for service in SERVICES
    }


def _install(saved: dict[str, dict[str, dict[str, Any]]]) -> None:
    from moto.backends import get_backend

    now_ms = time.time() * 1000
    for service, accounts in saved.items():
        backends = get_backend(service)  # type: ignore[call-overload]
        for account, regions in accounts.items():
            for region, backend in regions.items():
                if service == "sqs":
                    _release_in_flight(backend, now_ms)
                backends[account][region] = backend


def _release_in_flight(backend: Any, now_ms: float) -> None:
    """Received-but-not-deleted messages are visible again: their consumers are gone."""
    for queue in backend.queues.values():
        for message in queue._messages:
            if message.visible_at > now_ms:
                message.visible_at = 0
        queue._pending_messages.clear()


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable (a crash right after it must not bring back the old file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
