"""The CLI's operations on runs: ``rerun``, ``replay``, ``cancel-runs``, ``pause``, ``resume``.
Each is one signed call of the operations API (``http/_ops_routes.py``)."""

from __future__ import annotations

import argparse
import json
import re
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from .._durations import to_seconds
from ._cli_http import ApiClient

COMMANDS = ("rerun", "replay", "cancel-runs", "pause", "resume")
SERVING = ("dashboard",)
_AGO = re.compile(r"^\d+(\.\d+)?(ms|s|m|h|d|w)(\d|ms|s|m|h|d|w)*$")


def moment(value: str) -> datetime:
    """An ISO 8601 time (``2026-01-21T18:00:00Z``; UTC if it names no zone), ``now``, or a
    duration ago (``2h``, ``1d12h``)."""
    text = value.strip()
    if text == "now":
        return datetime.now(UTC)
    if _AGO.match(text):
        try:
            return datetime.now(UTC) - timedelta(seconds=to_seconds(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a time: use ISO 8601 like 2026-01-21T18:00:00Z, 'now', or a "
            "duration ago like 2h or 3d"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _statuses(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def add_commands(commands: Any, common: Any) -> None:  # argparse's _SubParsersAction is not public
    rerun = commands.add_parser(
        "rerun",
        help="rerun a run (a new run of the same function and event)",
        description="Start a new run of the run's function with the same event; with "
        "--from-step, keep the results of the steps before that step and run from it.",
    )
    rerun.add_argument("run_id", help="the run to rerun")
    rerun.add_argument("--from-step", help="step id to run from (earlier steps keep their memo)")
    rerun.add_argument("--json", action="store_true", help="print the raw JSON answer")
    common(rerun)

    replay = commands.add_parser(
        "replay",
        help="rerun a function's failed runs in a time range",
        description="Rerun the runs of FUNCTION created between --since and --until (at most "
        "31 days) whose status is in --status (default failed). Times: ISO 8601, 'now', or a "
        "duration ago like 2h.",
    )
    replay.add_argument("function_id", metavar="FUNCTION", help="function id")
    replay.add_argument("--since", type=moment, required=True, help="start of the range")
    replay.add_argument("--until", type=moment, default="now", help="end (default now)")
    replay.add_argument(
        "--status", type=_statuses, default=["failed"], help="failed,cancelled,completed"
    )
    replay.add_argument("--dry-run", action="store_true", help="only count the runs")
    replay.add_argument("--json", action="store_true", help="print the raw JSON answer")
    common(replay)

    cancel = commands.add_parser(
        "cancel-runs",
        help="cancel a function's active runs in a time range (bulk cancel)",
        description="Cancel the queued, running, sleeping and waiting runs of FUNCTION "
        "created between --since and --until, optionally only those whose event matches --if "
        "(CEL over `event`).",
    )
    cancel.add_argument("function_id", metavar="FUNCTION", help="function id")
    cancel.add_argument("--since", type=moment, required=True, help="start of the range")
    cancel.add_argument("--until", type=moment, default="now", help="end (default now)")
    cancel.add_argument("--if", dest="if_exp", help="CEL, e.g. \"event.data.userId == 'u1'\"")
    cancel.add_argument("--json", action="store_true", help="print the raw JSON answer")
    common(cancel)

    pause = commands.add_parser(
        "pause",
        help="pause a function: no new runs until resume",
        description="Start no new runs of FUNCTION; runs in flight finish. The runs its events "
        "start are kept and start on `stepstream resume`, or with --skip not created at all.",
    )
    pause.add_argument("function_id", metavar="FUNCTION", help="function id")
    pause.add_argument("--skip", action="store_true", help="drop new runs instead of keeping them")
    common(pause)

    resume = commands.add_parser(
        "resume", help="resume a paused function and start the runs it kept"
    )
    resume.add_argument("function_id", metavar="FUNCTION", help="function id")
    common(resume)

    dashboard = commands.add_parser(
        "dashboard",
        help="serve the dashboard on this machine for a deployed stack",
        description="Serve the dashboard at http://127.0.0.1:PORT/ and forward its calls to "
        "--url with the signing key. The key stays in this process: the page gets a session "
        "token, and only this machine can load it. Ctrl-C stops.",
    )
    dashboard.add_argument("--port", type=int, default=8289, help="local port (default 8289)")
    common(dashboard)


def dispatch(api: ApiClient, args: argparse.Namespace) -> int:
    if args.command == "rerun":
        from_step = {"from_step": args.from_step} if args.from_step else {}
        data = api.call("POST", f"/v1/runs/{_segment(args.run_id)}/rerun", from_step)
        _print(args, data, f"{data['run_id']}  (rerun of {data['rerun_of']})")
    elif args.command == "replay":
        data = api.call(
            "POST",
            "/v1/replays",
            {
                "function_id": args.function_id,
                "started_after": args.since.isoformat(),
                "started_before": args.until.isoformat(),
                "statuses": args.status,
                "dry_run": args.dry_run,
            },
        )
        verb = "would replay" if args.dry_run else f"replay {data['id']}: started"
        _print(args, data, f"{verb} {data['count']} runs of {args.function_id}")
    elif args.command == "cancel-runs":
        body: dict[str, Any] = {
            "function_id": args.function_id,
            "started_after": args.since.isoformat(),
            "started_before": args.until.isoformat(),
        }
        if args.if_exp:
            body["if"] = args.if_exp
        data = api.call("POST", "/v1/cancellations", body)
        _print(args, data, f"cancellation {data['id']}: cancelled {data['cancelled']} runs")
    elif args.command == "pause":
        mode = "skip" if args.skip else "hold"
        api.call("POST", f"/v1/functions/{_segment(args.function_id)}/pause", {"mode": mode})
        kept = "dropped" if args.skip else "kept until `stepstream resume`"
        print(f"{args.function_id} paused; new runs are {kept}")
    elif args.command == "resume":
        data = api.call("POST", f"/v1/functions/{_segment(args.function_id)}/resume")
        print(f"{args.function_id} resumed; started {len(data['started'])} kept runs")
    return 0


def _print(args: argparse.Namespace, data: Any, line: str) -> None:
    print(json.dumps(data, indent=2) if args.json else line)


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")
