"""moto's server as the local stack embeds it, made safe for a stack's concurrent callers.

moto's werkzeug server answers every request on a thread of its own, and its DynamoDB backend
takes no lock (moto 5.x):

- ``TransactWriteItems`` backs up each table it names with ``copy.deepcopy`` before writing. A
  write to that table on another thread changes the dict the copy is walking, and the
  transaction fails with ``RuntimeError: dictionary changed size during iteration`` (HTTP 500,
  which botocore retries). The copy is also the whole table, every time: each ``$connect`` and
  each durable publish copied every subscription and history item of the realtime table, so a
  connect cost O(table), and the copies were the dev process's largest short-lived allocations.
- A conditional write checks and then writes with no lock, so two concurrent claims of one item
  can both succeed; and a cancelled transaction puts its backup tables back, over whatever other
  requests wrote to them meanwhile.

So the embedded server handles DynamoDB requests one at a time (DynamoDB itself is linearisable
per item; the GIL runs one request at a time anyway), and a transaction backs up only the items
it writes, restoring them if it fails. The reproducer for moto upstream is in
docs/architecture.md ("moto under load").

Its SQS long polls and FIFO groups are made to behave as SQS's too (``_moto_sqs.py``).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ._moto_query import patch_queries
from ._moto_reads import patch_reads
from ._moto_sqs import patch_sqs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_DYNAMODB_TARGET = "DynamoDB_"
_installed = threading.Lock()
_patched = False
_transaction = threading.local()


class SerialisedDynamoDB:
    """WSGI middleware: requests to DynamoDB (``X-Amz-Target: DynamoDB_...``) one at a time,
    everything else (SQS, S3) as it comes."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(_DYNAMODB_TARGET):
            return self.app(environ, start_response)
        with self.lock:
            # moto builds its answer in memory; reading it here keeps the whole request inside
            # the lock.
            return list(self.app(environ, start_response))


class EmbeddedMotoServer:
    """moto's server on a loopback port in a daemon thread, DynamoDB serialised, SQS as SQS."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        wrap: Callable[[WsgiApp], WsgiApp] | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._wrap = wrap  # e.g. the state folder's gate, so snapshots can pause writes
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        patch_transactions()
        patch_sqs()
        patch_queries()  # a Query costs its partition, not the table (moto sorts every item)
        patch_reads()  # a read's response is written by json.dumps, not moto's shape walker
        stop_instance_tracking()
        list_services_once()
        app: WsgiApp = SerialisedDynamoDB(DomainDispatcherApplication(create_backend_app))
        if self._wrap is not None:
            app = self._wrap(app)
        self._server = make_server(
            self._host, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)


def stop_instance_tracking() -> None:
    """Stop moto keeping every model object it ever made.

    moto 5.x's ``BaseModel.__new__`` appends each instance to its class's ``instances_tracked``
    list, for the ``/moto-api/`` dashboard, and never removes it. Every DynamoDB ``Query`` copies
    the items it returns, so a dev stack whose publisher reads its 1,000 subscribers once a
    second kept ~1,000 more ``Item`` objects a second, for ever: the dev process's memory grew
    with its age and never came back. Nothing in the stack reads those lists."""
    from moto.core.common_models import BaseModel

    def untracked(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    BaseModel.__new__ = untracked  # type: ignore[method-assign]
    from moto.core.model_instances import reset_model_data

    reset_model_data()  # and let go of what was tracked before


def list_services_once() -> None:
    """List moto's service packages once, not on every request.

    moto's server finds the backend of each request with ``backends.list_of_moto_modules()``,
    which lists moto's package directory and stats each of its ~150 entries, every time: ~17% of
    the time a request spent in moto's WSGI app (``bench.soak --profile``), inside the DynamoDB
    lock for DynamoDB requests. The directory does not change while the process runs."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "listed_once", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules.listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules


def patch_transactions() -> None:
    """Make moto's ``transact_write_items`` back up the items it writes instead of deep-copying
    every table it names (once per process)."""
    global _patched
    with _installed:
        if _patched:
            return
        from moto.dynamodb import models

        original = models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            undo = _snapshot(self, transact_items)
            _transaction.active = True
            try:
                original(self, transact_items)
            except BaseException:
                # moto's own rollback put the same (live) tables back, a no-op; undo item by
                # item. Also covers errors moto raises mid-way without any rollback.
                _transaction.active = False
                _restore(self, undo)
                raise
            finally:
                _transaction.active = False

        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        setattr(models, "copy", _TableCopySkipped())  # noqa: B010 (the module is not typed for it)
        _patched = True


class _TableCopySkipped:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: while a patched
    transaction runs, a table's "backup" is the table itself (its items are backed up one by
    one instead); anything else is copied as before."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if getattr(_transaction, "active", False) and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


Undo = list[tuple[str, dict[str, Any], Any]]


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> Undo:
    """Each written item as it is now (a copy; ``None``: absent), in transaction order. An
    operation moto will refuse (no such table, a malformed key) has nothing to back up."""
    undo: Undo = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        op_type, op = next(iter(entry.items()))
        if op_type == "ConditionCheck" or not isinstance(op, dict):
            continue
        table_name = op.get("TableName")
        table = backend.tables.get(table_name)
        if not isinstance(table_name, str) or table is None:
            continue
        try:
            if op_type == "Put":
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = dict(op["Key"])
            current = backend.get_item(table_name, key)
        except Exception:  # moto answers this operation with its own validation error
            continue
        undo.append((table_name, key, copy.deepcopy(current) if current is not None else None))
    return undo


def _restore(backend: Any, undo: Undo) -> None:
    for table_name, key, item in reversed(undo):
        if item is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            backend.get_table(table_name).put_item(item.to_json()["Attributes"])
