"""The wire protocol: frames the server sends and frames a client may send.

Server frames leave absent fields out instead of sending ``null``, because the official Inngest
client's schema drops a message with a null where it expects a string. Client frames are parsed
strictly: anything unexpected becomes a :class:`FrameError` whose code and message the socket
handler sends back in an ``error`` frame (the socket stays open).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .._states import TERMINAL, RunStatus

MAX_SERVER_FRAME_BYTES = 128 * 1024
"""API Gateway's WebSocket message limit; a larger frame cannot be delivered."""
COALESCE_BUDGET_BYTES = 32 * 1024
"""Most bytes a coalesced frame carries: one API Gateway billing unit (messages are metered in
32 KB units). A single frame bigger than this is posted alone, as it is (up to 128 KB)."""
COALESCE_PARAM = "coalesce"
"""The connect URL's query parameter by which a client asks for coalesced frames (``=1``)."""
_BATCH_HEAD = b'{"kind":"batch","data":['
_BATCH_TAIL = b"]}"
MAX_CLIENT_FRAME_BYTES = 32_768
"""Default limit for a client frame: a token and a list of topics need far less."""
MAX_TOPICS_PER_FRAME = 64
RUN_STATUSES = frozenset(str(s) for s in (RunStatus.RUNNING, *TERMINAL))

PING: dict[str, Any] = {"kind": "ping"}
PONG: dict[str, Any] = {"kind": "pong"}


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _without_none(frame: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in frame.items() if value is not None}


def data_frame(
    *,
    channel: str,
    topic: str,
    data: Any,
    seq: int,
    id: str,
    created_at: str | None = None,
    run_id: str | None = None,
    fn_id: str | None = None,
) -> dict[str, Any]:
    """A ``data`` frame exactly as Inngest sends it, plus our ``seq`` and ``id``."""
    return _without_none(
        {
            "kind": "data",
            "channel": channel,
            "topic": topic,
            "data": data,
            "created_at": created_at or now_rfc3339(),
            "run_id": run_id,
            "fn_id": fn_id,
            "seq": seq,
            "id": id,
        }
    )


def run_frame(
    *,
    channel: str,
    run_id: str,
    fn_id: str,
    status: str,
    id: str,
    output: Any = None,
    error: dict[str, Any] | None = None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """A ``run`` lifecycle frame; the official ``useRealtime`` hook reads ``data.status``."""
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is not one of {sorted(RUN_STATUSES)}")
    return {
        "kind": "run",
        "channel": channel,
        "run_id": run_id,
        "fn_id": fn_id,
        "created_at": created_at or now_rfc3339(),
        "data": _without_none({"status": status, "output": output, "error": error}),
        "id": id,
    }


def error_frame(code: str, message: str) -> dict[str, Any]:
    """The answer to a bad client frame."""
    return {"kind": "error", "data": {"code": code, "message": message}}


def dumps(frame: dict[str, Any]) -> str:
    """Compact JSON with top-level ``None`` values left out."""
    return json.dumps(
        _without_none(frame), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def coalesce(encoded: Iterable[bytes], budget: int = COALESCE_BUDGET_BYTES) -> tuple[bytes, int]:
    """One post for the frames at the head of ``encoded`` (each already :func:`dumps`'d and
    UTF-8 encoded) and how many it carries: a ``batch`` frame of as many as fit in ``budget``
    bytes, in order, or the first frame as it is when no second one fits with it."""
    taken: list[bytes] = []
    size = len(_BATCH_HEAD) + len(_BATCH_TAIL) - 1  # no comma before the first
    for data in encoded:
        size += 1 + len(data)
        if taken and size > budget:
            break
        taken.append(data)
    if len(taken) == 1:
        return taken[0], 1
    return _BATCH_HEAD + b",".join(taken) + _BATCH_TAIL, len(taken)


def wants_coalescing(raw: object) -> bool:
    """The ``coalesce`` connect parameter: absent, ``""`` or ``"0"`` no, ``"1"`` yes; anything
    else raises ``ValueError`` (the connect is refused, so a typo is not silently ignored)."""
    if raw is None or raw in ("", "0"):
        return False
    if raw == "1":
        return True
    raise ValueError(f"{COALESCE_PARAM} must be 1 or 0, got {str(raw)[:40]!r}")


def frame_size(frame: dict[str, Any]) -> int:
    """Bytes the frame takes on the wire."""
    return len(dumps(frame).encode("utf-8"))


class FrameError(Exception):
    """A client frame that cannot be accepted; ``code`` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def frame(self) -> dict[str, Any]:
        return error_frame(self.code, self.message)


@dataclass
class ClientFrame:
    """A parsed client frame."""

    kind: Literal["sub", "unsub", "ping"]
    """What the client asks for."""
    token: str | None = None
    """``sub``: the JWT whose channel and topics to add."""
    topics: list[str] = field(default_factory=list)
    """``unsub``: the topics to remove."""
    channel: str | None = None
    """``unsub``: only from this channel (every channel of the socket when absent)."""
    since: int | None = None
    """``sub``: replay kept messages with a greater ``seq`` first."""


_HINT = 'send {"kind":"sub","data":"<token>"}, {"kind":"unsub","data":["topic"]} or {"kind":"ping"}'


def parse_client_frame(
    raw: str | bytes, *, max_bytes: int = MAX_CLIENT_FRAME_BYTES, binary: bool = False
) -> ClientFrame:
    """Parse what a client sent, or raise :class:`FrameError`.

    ``bytes`` are taken as the UTF-8 text of a text frame; pass ``binary=True`` for a binary
    WebSocket frame, which is always refused."""
    if binary:
        raise FrameError("binary_frame", f"binary frames are not accepted; {_HINT} as text")
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise FrameError("frame_too_large", f"the frame is {size} bytes; the limit is {max_bytes}")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameError("not_utf8", f"the frame is not UTF-8 text (byte {exc.start})") from exc
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise FrameError("malformed_json", f"the frame is not valid JSON ({exc}); {_HINT}") from exc
    if not isinstance(document, dict):
        raise FrameError("not_an_object", f"the frame must be a JSON object; {_HINT}")
    kind = document.get("kind")
    if kind == "ping":
        return ClientFrame("ping")
    if kind == "sub":
        return _parse_sub(document)
    if kind == "unsub":
        return _parse_unsub(document)
    shown = kind if isinstance(kind, str) and len(kind) <= 40 else "?"
    raise FrameError("unknown_kind", f"unknown frame kind {shown!r}; {_HINT}")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_sub(document: dict[str, Any]) -> ClientFrame:
    token = document.get("data")
    if not isinstance(token, str) or not token.strip():
        raise FrameError("missing_token", 'a sub frame needs the token as a string in "data"')
    since = document.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
        raise FrameError("bad_since", '"since" must be a non-negative integer seq')
    return ClientFrame("sub", token=token.strip(), since=since)


def _parse_unsub(document: dict[str, Any]) -> ClientFrame:
    topics = document.get("data")
    if not isinstance(topics, list) or not topics:
        raise FrameError("bad_topics", 'an unsub frame needs a non-empty list of topics in "data"')
    if len(topics) > MAX_TOPICS_PER_FRAME:
        raise FrameError(
            "bad_topics", f"{len(topics)} topics in one frame; the limit is {MAX_TOPICS_PER_FRAME}"
        )
    if not all(isinstance(t, str) and 0 < len(t) <= 128 for t in topics):
        raise FrameError("bad_topics", "every topic must be a string of 1-128 characters")
    channel = document.get("channel")
    if channel is not None and (not isinstance(channel, str) or not 0 < len(channel) <= 256):
        raise FrameError("bad_channel", '"channel" must be a string of 1-256 characters')
    return ClientFrame("unsub", topics=list(dict.fromkeys(topics)), channel=channel)
