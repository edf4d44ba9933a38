"""Stable ids for events sent without one, from the ``x-inngest-event-id-seed`` header.

The Inngest SDKs build a send request once, with a seed ``"<epoch ms>,<base64 of 10 random
bytes>"``, and resend that same request when a send fails (a 5xx or a dropped connection). If
each attempt got fresh ids, a send whose answer was lost would store its events twice and start
their runs twice. Deriving each id-less event's id from the seed and its index instead makes the
retry the same events, which the engine's 24-hour dedupe then ignores. The id is a ULID (the
seed's milliseconds, its entropy plus the index), like the engine's own ids. A malformed seed is
ignored, as Inngest's event API does: the engine then assigns ids itself.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

SEED_HEADER = "x-inngest-event-id-seed"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as ULIDs use
_MAX_MS = (1 << 48) - 1
_RANDOM_BITS = 80


def parse_seed(header: str | None) -> tuple[int, int] | None:
    """``(milliseconds, entropy)`` from a well-formed seed, else None."""
    if not header or len(header) > 64:
        return None
    millis, _, entropy_b64 = header.partition(",")
    if not millis.isdigit() or not 0 < int(millis) <= _MAX_MS:
        return None
    try:
        entropy = base64.b64decode(entropy_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(entropy) != _RANDOM_BITS // 8:
        return None
    return int(millis), int.from_bytes(entropy, "big")


def seeded_id(seed: tuple[int, int], index: int) -> str:
    """The ULID of the ``index``-th event of a request carrying ``seed``."""
    millis, entropy = seed
    value = (millis << _RANDOM_BITS) | ((entropy + index) % (1 << _RANDOM_BITS))
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def assign_seeded_ids(events: list[dict[str, Any]], header: str | None) -> None:
    """Give each event without an ``id`` the one its seed and index determine."""
    seed = parse_seed(header)
    if seed is None:
        return
    for index, event in enumerate(events):
        if not event.get("id"):
            event["id"] = seeded_id(seed, index)
