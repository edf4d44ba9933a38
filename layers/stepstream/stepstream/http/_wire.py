"""Read the body of ``POST /e/{event_key}`` into events, or say exactly what is wrong with it.

The engine's ``validate_event`` owns the field rules (types, sizes); this module adds what only
an untrusted HTTP caller needs: JSON decoding, the top-level shape, a cap on events per request,
and refusing what would fail later or could not be stored (control characters in names and ids,
reserved names, lone surrogates, non-finite numbers, nesting DynamoDB refuses). Every event is
checked before any is handed to the engine, so a list with one bad event stores none. It accepts
what the official Inngest SDKs send and ignores unknown fields, as Inngest does.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from .._event import MAX_NAME_LENGTH, validate_event
from ._errors import ApiError

MAX_EVENTS_PER_REQUEST = 100
"""Ingestion is synchronous: an event that starts one run costs 7 AWS requests made one after
another while the caller waits, and API Gateway answers within 30 s. ``python -m bench.http``
measures it: 100 events are 700 requests (9 s against moto on a loaded 2-core machine)."""
MAX_ID_LENGTH = 256
MAX_VERSION_LENGTH = 64
MAX_DATA_DEPTH = 32
"""DynamoDB refuses items nested deeper than 32 levels; refusing here keeps the error readable."""
RESERVED_PREFIX = "stepstream/"
"""Names the engine uses for its own events (``stepstream/function.failed`` ...)."""


def check_content_type(content_type: str | None) -> None:
    """Accept JSON media types (and no header at all, as ``curl --data-binary`` may send)."""
    if not content_type:
        return
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(415, f"Content-Type is {media!r}; send the events as application/json")
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise ApiError(415, f"charset {value.strip()!r} is not supported; send UTF-8 JSON")


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """Decode and check a body holding one event object or a list of them."""
    document = _decode(body)
    if isinstance(document, dict):
        return [_check_event(document, None)]
    if not isinstance(document, list):
        raise ApiError(
            400, f"body is a JSON {_kind(document)}; send an event object or a list of events"
        )
    if not document:
        raise ApiError(400, "the list of events is empty; send at least one event")
    if len(document) > MAX_EVENTS_PER_REQUEST:
        raise ApiError(  # a list longer than the document's maxItems: malformed, like any other
            400,
            f"{len(document)} events in one request; the limit is {MAX_EVENTS_PER_REQUEST}, "
            "so split them into several requests",
        )
    return [_check_event(item, i) for i, item in enumerate(document)]


def _decode(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "the body is empty; send an event object or a list of events as JSON")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, f"the body is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON"
        ) from exc
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise ApiError(
            400, f"the body nests too deeply; event data may nest at most {MAX_DATA_DEPTH} levels"
        ) from exc
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        raise ApiError(400, f"the body is not valid JSON: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_event(item: Any, index: int | None) -> dict[str, Any]:
    where = "event" if index is None else f"event[{index}]"
    if not isinstance(item, dict):
        raise ApiError(400, f"{where} is a JSON {_kind(item)}; each event must be an object")
    # Field types and the per-event size limit are the engine's rules; it raises
    # EventValidationError / PayloadTooLargeError, which the error handlers turn into 400 / 413.
    validate_event(item, index=index)
    name = _check_text(item["name"], f"{where}.name", MAX_NAME_LENGTH)
    if name.startswith(RESERVED_PREFIX):
        raise ApiError(
            400,
            f"{where}.name {name!r} uses the reserved prefix {RESERVED_PREFIX!r}; choose another",
        )
    if item.get("id"):
        _check_text(item["id"], f"{where}.id", MAX_ID_LENGTH)
    if item.get("v") is not None:
        _check_text(item["v"], f"{where}.v", MAX_VERSION_LENGTH)
    for field in ("data", "user"):
        if item.get(field) is not None:
            _check_value(item[field], f"{where}.{field}", depth=1)
    return item


def _check_text(value: Any, where: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{where} is a JSON {_kind(value)}; it must be a string")
    if len(value) > max_length:
        raise ApiError(400, f"{where} is {len(value)} characters long; the limit is {max_length}")
    for position, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ApiError(
                400,
                f"{where} contains the control character U+{ord(char):04X} at position "
                f"{position}; use printable text",
            )
    return value


def _check_value(value: Any, where: str, depth: int) -> None:
    """Walk ``value`` (no recursion: depth is bounded by the parser, not by us) and refuse what
    cannot be stored: too deep, lone surrogates, non-finite numbers."""
    stack: list[tuple[Any, str, int]] = [(value, where, depth)]
    while stack:
        node, path, level = stack.pop()
        if isinstance(node, dict | list) and level > MAX_DATA_DEPTH:
            raise ApiError(
                400, f"{path} nests deeper than {MAX_DATA_DEPTH} levels; flatten the data"
            )
        if isinstance(node, dict):
            for key, child in node.items():
                _check_unicode(key, f"{path} (a key)")
                stack.append((child, f"{path}.{_short(key)}", level + 1))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{i}]", level + 1) for i, child in enumerate(node))
        elif isinstance(node, str):
            _check_unicode(node, path)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ApiError(400, f"{path} is not a finite number")


def _check_unicode(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(
            400,
            f"{where} holds a lone UTF-16 surrogate (\\u{ord(text[exc.start]):04x}); "
            "send valid Unicode",
        ) from exc


def _short(key: str) -> str:
    """A key as it appears in a message: long keys are cut so errors stay readable."""
    return key if len(key) <= 40 else key[:37] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
