"""GIVEN a served API WHEN an operator uses ``stepstream rerun / replay / cancel-runs / pause /
resume`` THEN each does its operation and says what it did; refusals exit 1 with the API's
reason."""

from __future__ import annotations

import json

import pytest

from stepstream.cli import main
from stepstream.local import Provisioned
from stepstream.local._cli_ops import moment

from ._ops_app import OpsApp, run_until_settled, served


def test_operations_from_the_command_line(
    aws: Provisioned, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = OpsApp()
    with served(ops) as http:
        url = str(http.base_url).rstrip("/")
        failed = ops.send(http, "runops/charge")
        ops.broken = False

        def cli(*args: str) -> tuple[int, str, str]:
            code = main([*args, "--url", url])
            out, err = capsys.readouterr()
            return code, out, err

        code, out, _ = cli("rerun", failed, "--from-step", "charge", "--json")
        assert code == 0
        rerun = json.loads(out)
        assert rerun["rerun_of"] == failed
        run_until_settled(ops.app)
        code, out, _ = cli("runs", rerun["run_id"])
        assert f"rerun of  {failed}" in out

        code, out, _ = cli("replay", "charge", "--since", "1h", "--dry-run")
        assert (code, out.strip()) == (0, "would replay 1 runs of charge")
        code, out, _ = cli("replay", "charge", "--since", "1h", "--until", "now")
        assert code == 0
        assert out.strip().endswith("started 1 runs of charge")

        sleeping = ops.send(http, "runops/nap", {"user": "u1"})
        code, out, _ = cli("cancel-runs", "nap", "--since", "1h", "--if", "event.data.user == 'u1'")
        assert code == 0
        assert "cancelled 1 runs" in out
        assert ops.run(http, sleeping)["state"] == "cancelled"

        assert cli("pause", "nap", "--skip")[1].strip() == "nap paused; new runs are dropped"
        assert cli("resume", "nap")[1].strip() == "nap resumed; started 0 kept runs"

        code, _, err = cli("rerun", failed, "--from-step", "nope")
        assert code == 1
        assert "422" in err
        assert "has no step 'nope'" in err
        code, _, err = cli("replay", "charge", "--since", "40d")
        assert code == 1
        assert "at most 31 days" in err


def test_times_read_iso_now_and_durations_ago() -> None:
    assert moment("2026-01-21T18:00:00Z").isoformat() == "2026-01-21T18:00:00+00:00"
    assert moment("2026-01-21T18:00:00").tzinfo is not None
    assert (moment("now") - moment("2h")).total_seconds() == pytest.approx(7200, abs=5)
    with pytest.raises(Exception, match="not a time"):
        moment("yesterday")
