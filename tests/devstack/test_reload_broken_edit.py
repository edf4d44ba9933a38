"""GIVEN `stepstream dev` running an app
WHEN the developer saves an edit that cannot load (a syntax error, then an invalid flow-control
option, a FlowConfigError raised at import)
THEN each is reported on one line naming the error and the file and line to fix, the previous
code keeps serving (a new run completes on it), and the next good save reloads."""

from __future__ import annotations

from pathlib import Path

from .restart_support import edit, printed, run_in_state, send, start, until, write_app


def test_a_broken_edit_keeps_the_previous_app_serving_and_says_what_to_fix(
    tmp_path: Path,
) -> None:
    source = write_app(tmp_path)
    stack = start(tmp_path)
    try:
        mark = len(stack.lines)
        edit(source, ("    return VERSION\n", "    return VERSION +\n"))
        failed = until("the syntax error", lambda: printed(stack, "reload failed", mark), stack)
        assert "SyntaxError" in failed, failed
        assert f"{source}, line 11" in failed, failed
        assert "still serving the previous code" in failed

        run = run_in_state(stack, send(stack, "test/nap", {"sleep": "1s"}), "completed", "failed")
        assert run["output"] == {"first": "v1", "second": "v1"}, run

        mark = len(stack.lines)
        edit(
            source,
            ("    return VERSION +\n", "    return VERSION\n"),
            ('trigger="test/nap",', 'trigger="test/nap", concurrency=0,'),
        )
        failed = until("the FlowConfigError", lambda: printed(stack, "reload failed", mark), stack)
        assert "FlowConfigError" in failed, failed
        assert str(source) in failed, failed

        mark = len(stack.lines)
        edit(source, (" concurrency=0,", ""), ('VERSION = "v1"', 'VERSION = "v3"'))
        until("the recovery", lambda: printed(stack, "reloaded 2 functions", mark), stack)
        run = run_in_state(stack, send(stack, "test/nap", {"sleep": "1s"}), "completed", "failed")
        assert run["output"] == {"first": "v3", "second": "v3"}, run
    finally:
        stack.kill()
