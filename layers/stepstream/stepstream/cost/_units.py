"""DynamoDB capacity units as on-demand bills them, from the items a request writes or a
response returns (the AWS documentation's item size rules: attribute names plus values)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def item_bytes(item: Mapping[str, Any]) -> int:
    """The size DynamoDB bills an item (or a key) in wire format at."""
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def value_bytes(value: Mapping[str, Any]) -> int:
    if not isinstance(value, Mapping) or not value:
        return 0
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return _number_bytes(str(inner))
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in inner)
    if kind == "NS":
        return sum(_number_bytes(str(n)) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + value_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_bytes(v) for k, v in inner.items())
    return 0


def _number_bytes(text: str) -> int:
    """Up to 21 bytes: about one per two significant digits, plus one."""
    digits = text.lstrip("-").split("e")[0].split("E")[0].replace(".", "").strip("0")
    return min(21, (len(digits) + 1) // 2 + 1)


def write_units(size: int, *, transactional: bool = False) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES)) * (2 if transactional else 1)


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    units = float(max(1, math.ceil(size / READ_UNIT_BYTES)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def request_write_units(operation: str, params: Mapping[str, Any]) -> int:
    """Write units of a write request. A PutItem's item is all in the request; an UpdateItem or
    DeleteItem is billed on the stored item, which the request does not show, so it counts the
    key and the values it writes: a lower bound for items over 1 KB."""
    if operation == "PutItem":
        return write_units(item_bytes(params.get("Item", {})))
    if operation in ("UpdateItem", "DeleteItem"):
        return write_units(_update_bytes(params))
    if operation == "BatchWriteItem":
        return sum(
            write_units(item_bytes(request["PutRequest"]["Item"])) if "PutRequest" in request else 1
            for requests in params.get("RequestItems", {}).values()
            for request in requests
        )
    if operation == "TransactWriteItems":
        total = 0
        for entry in params.get("TransactItems", []):
            if "Put" in entry:
                size = item_bytes(entry["Put"].get("Item", {}))
            else:
                size = _update_bytes(next(iter(entry.values()), {}))
            total += write_units(size, transactional=True)
        return total
    return 0


def _update_bytes(params: Mapping[str, Any]) -> int:
    values: Iterable[Any] = (params.get("ExpressionAttributeValues") or {}).values()
    return item_bytes(params.get("Key", {})) + sum(value_bytes(v) for v in values)


def response_read_units(
    operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]
) -> float:
    """Read units of a read request, from the items it returned (a Query or Scan with a filter
    is billed on the items read before filtering: a lower bound then)."""
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        return read_units(item_bytes(parsed.get("Item") or {}), consistent=consistent)
    if operation in ("Query", "Scan"):
        size = sum(item_bytes(item) for item in parsed.get("Items") or [])
        return read_units(size, consistent=consistent)
    if operation == "TransactGetItems":
        return sum(
            read_units(item_bytes(r.get("Item") or {}), consistent=True, transactional=True)
            for r in parsed.get("Responses") or []
        )
    if operation == "BatchGetItem":
        return sum(
            read_units(item_bytes(item), consistent=consistent)
            for items in (parsed.get("Responses") or {}).values()
            for item in items
        )
    return 0.0
