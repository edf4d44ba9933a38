"""GIVEN a --state-dir that cannot be used (a file, a snapshot that is not one, a folder another
dev stack holds, every service at an external endpoint)
WHEN `stepstream dev` starts on it
THEN it refuses with one line saying why and what to do, and leaves the folder as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepstream.local._moto_state import SNAPSHOT_FILE, MotoState, StateDirError
from tests.support.devprocess import DevProcess, cli_env


def _refused(*args: str, env: dict[str, str] | None = None) -> str:
    stack = DevProcess(*args, env=env)
    try:
        code = stack.wait_exit(timeout=90)
    finally:
        stack.kill()
    assert code == 1, stack.output
    assert "Traceback" not in stack.output
    return stack.output


def test_a_file_is_not_a_state_dir(tmp_path: Path) -> None:
    file = tmp_path / "state"
    file.write_text("not a folder")
    output = _refused("--state-dir", str(file))
    assert f"--state-dir {file}: exists and is not a folder" in output
    assert file.read_text() == "not a folder"


def test_state_dir_needs_the_embedded_moto(tmp_path: Path) -> None:
    env = cli_env(AWS_ENDPOINT_URL="http://127.0.0.1:9")
    output = _refused("--state-dir", str(tmp_path / "state"), env=env)
    assert "--state-dir keeps the embedded moto's state" in output


def test_a_file_that_is_not_a_snapshot_is_refused_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT_FILE).write_bytes(b"something else entirely")
    with pytest.raises(StateDirError, match="not a stepstream dev state file"):
        MotoState(tmp_path).open()
    assert (tmp_path / SNAPSHOT_FILE).read_bytes() == b"something else entirely"


def test_a_torn_snapshot_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT_FILE).write_bytes(b"stepstream-moto-state 1 moto=5\n\x80\x05garbage")
    with pytest.raises(StateDirError, match="Remove the folder"):
        MotoState(tmp_path).open()


def test_a_folder_in_use_by_another_dev_stack_is_refused(tmp_path: Path) -> None:
    first = MotoState(tmp_path)
    first.open()
    try:
        with pytest.raises(StateDirError, match="in use by another stepstream dev"):
            MotoState(tmp_path).open()
    finally:
        first.close(save=False)  # not this test process's moto
    second = MotoState(tmp_path)
    second.open()  # free again
    second.close(save=False)
