"""Plain-text rendering for the CLI: tables of runs, one run's steps, live messages.

Readable in a terminal without colour libraries; colour only when stdout is a TTY and
``NO_COLOR`` is unset.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from .._states import RunStatus, StepStatus

_STATUS_COLOURS: dict[str, str] = {
    RunStatus.COMPLETED: "32",
    StepStatus.OK: "32",
    RunStatus.FAILED: "31",
    StepStatus.ERROR: "31",
    RunStatus.CANCELLED: "90",
    RunStatus.RUNNING: "36",
    StepStatus.RETRY: "33",
    RunStatus.SLEEPING: "35",
    RunStatus.WAITING: "35",
    RunStatus.QUEUED: "90",
}


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def paint(text: str, status: str, colour: bool) -> str:
    code = _STATUS_COLOURS.get(status.lower())
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], colour_column: int = -1) -> str:
    """Left-aligned columns; ``colour_column`` is painted by its own value when colour is on."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    colour = use_colour(sys.stdout)
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        cells = []
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            padded = cell.ljust(width)
            cells.append(paint(padded, cell, colour) if i == colour_column else padded)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def runs_table(runs: Sequence[dict[str, Any]]) -> str:
    if not runs:
        return "no runs yet; send an event with `stepstream send <name> --data '{...}'`"
    rows = [
        [
            str(run.get("run_id", "")),
            str(run.get("function_id", "")),
            _state(run) + (f" ({run['held'].get('reason')})" if run.get("held") else ""),
            clock(run.get("created_at")),
            duration(run.get("run_started_at"), run.get("ended_at")),
            str(run.get("event_id") or ""),
        ]
        for run in runs
    ]
    return table(["run", "function", "status", "created", "took", "event"], rows, colour_column=2)


def pending_table(items: Sequence[dict[str, Any]]) -> str:
    """Debounced and batched events whose run does not exist yet, one line per window."""
    rows = []
    for item in items:
        when = clock(item.get("starts_at"), full=True)
        if item.get("kind") == "debounce":
            what = f"debounced until {when} (last event {item.get('last_event_id')})"
        else:
            n = int(item.get("events", 0))
            what = f"batch of {n} event{'s' if n != 1 else ''}, starts at {when} or at "
            what += str(item.get("max_size"))
        key = f"{item.get('key')} = {item.get('key_value')!r}" if item.get("key") else "—"
        rows.append([str(item.get("function_id", "")), key, what])
    return table(["function (no run yet)", "key", "pending"], rows)


def run_detail(run: dict[str, Any]) -> str:
    colour = use_colour(sys.stdout)
    state = _state(run)
    lines = [
        f"run       {run.get('run_id', '')}",
        f"function  {run.get('function_id', '')}",
        f"status    {paint(state, state, colour)}",
        f"event     {run.get('event_id') or '-'}",
        f"created   {clock(run.get('created_at'), full=True)}",
        f"took      {duration(run.get('run_started_at'), run.get('ended_at'))}",
    ]
    held = run.get("held")
    if held:
        until = f" until {clock(held['until'], full=True)}" if held.get("until") else ""
        lines.append(f"held      {held.get('reason')}: {held.get('label', '')}{until}")
    if run.get("rerun_of"):
        lines.insert(4, f"rerun of  {run['rerun_of']}")
    if run.get("output") is not None:
        lines.append(f"output    {compact(run['output'], 400)}")
    if run.get("error"):
        lines.append(f"error     {error_text(run['error'])}")
    steps: list[dict[str, Any]] = list(run.get("steps") or [])
    lines.append("")
    if not steps:
        lines.append("no steps yet")
        return "\n".join(lines)
    rows = []
    for step in steps:
        detail = error_text(step["error"]) if step.get("error") else compact(step.get("output"), 60)
        rows.append(
            [
                str(step.get("id", "")),
                str(step.get("kind", "")),
                str(step.get("status", "")),
                str(step.get("attempt", 0)),
                clock(step.get("started_at")),
                _ms(step.get("duration_ms")),
                detail,
            ]
        )
    lines.append(
        table(["step", "kind", "status", "attempt", "started", "took", "output / error"], rows, 2)
    )
    return "\n".join(lines)


def message_line(frame: dict[str, Any], colour: bool) -> str:
    """One realtime frame as ``HH:MM:SS.mmm  channel  topic  {compact data}``."""
    stamp = clock(frame.get("created_at"))
    kind = frame.get("kind")
    if kind == "run":
        data = frame.get("data") or {}
        status = str(data.get("status", ""))
        tail = f"  {compact(data.get('output'), 200)}" if data.get("output") is not None else ""
        run = frame.get("run_id", "")
        return f"{stamp}  {'run':<10} {paint(status, status, colour)} {run}{tail}"
    seq = frame.get("seq")
    seq_text = f"#{seq}" if seq is not None else ""
    topic = str(frame.get("topic", ""))
    return f"{stamp}  {topic:<10} {seq_text:>5}  {compact(frame.get('data'), 400)}"


def compact(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_text(error: Any) -> str:
    if isinstance(error, dict):
        name = error.get("name") or error.get("type") or "Error"
        message = error.get("message") or ""
        return compact(f"{name}: {message}", 200)
    return compact(error, 200)


def clock(value: Any, *, full: bool = False) -> str:
    moment = _parse(value)
    if moment is None:
        return "-"
    if full:
        return moment.isoformat(timespec="milliseconds")
    return moment.astimezone().strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def duration(start: Any, end: Any) -> str:
    began, ended = _parse(start), _parse(end)
    if began is None or ended is None:
        return "-"
    return _ms((ended - began).total_seconds() * 1000)


def _ms(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    if value < 1000:
        return f"{value:.0f} ms"
    if value < 120_000:
        return f"{value / 1000:.1f} s"
    return f"{value / 60_000:.1f} min"


def _state(run: dict[str, Any]) -> str:
    return str(run.get("state") or run.get("status") or "").lower()


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
