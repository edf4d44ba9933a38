"""Ids: sortable run and event ids (ULIDs) and step hashes."""

from __future__ import annotations

import hashlib
import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def ulid() -> str:
    """A 26-character ULID; monotonic within this process so ids sort by creation."""
    global _last_ms, _last_rand
    with _lock:
        ms = int(time.time() * 1000)
        if ms <= _last_ms:
            ms = _last_ms
            rand = (_last_rand + 1) & ((1 << 80) - 1)
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        _last_ms, _last_rand = ms, rand
    return _encode((ms << 80) | rand)


def ulid_from(ms: int, seed: str) -> str:
    """A ULID for time ``ms`` whose random part is derived from ``seed``: the same inputs give
    the same id, so an operation that is retried creates the same thing again."""
    rand = int.from_bytes(hashlib.sha1(seed.encode()).digest()[:10], "big")
    return _encode((ms << 80) | rand)


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def step_hash(step_id_with_suffix: str) -> str:
    """Storage key of a step: sha1 of its id with the ``:n`` repeat suffix."""
    return hashlib.sha1(step_id_with_suffix.encode()).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)
