"""GIVEN a finished run's outputs in S3 WHEN the functions that end runs (the executor, and the
API for a cancel) mark them under their own roles THEN each object is re-written with the tag
the bucket's lifecycle expires by, its age restarted at the run's end, and the run's records get
a TTL of the same retention."""

from __future__ import annotations

import time

import pytest

from stepstream import aws as _aws
from stepstream.config import Settings
from stepstream.local import IamEmulator, Provisioned
from stepstream.store._retention import DAY_SECONDS, mark_outputs_ended, run_expiry


@pytest.mark.parametrize("function", ["ExecutorFunction", "ApiFunction"])
def test_ended_outputs_are_tagged_and_their_age_restarts(
    iam: IamEmulator, aws: Provisioned, function: str
) -> None:
    s3, bucket = _aws.client("s3"), aws.buckets["OutputsBucket"]
    s3.put_object(Bucket=bucket, Key="runs/r1/big", Body=b"x" * 10)
    created = s3.head_object(Bucket=bucket, Key="runs/r1/big")["LastModified"]
    time.sleep(1.1)  # S3 times have one-second resolution

    with iam.enforce(function):
        assert mark_outputs_ended(["runs/r1/big"], ended_at=1_800_000_000) == 1

    assert iam.denials == []
    tags = s3.get_object_tagging(Bucket=bucket, Key="runs/r1/big")["TagSet"]
    assert tags == [{"Key": "stepstream-run", "Value": "ended"}]
    head = s3.head_object(Bucket=bucket, Key="runs/r1/big")
    assert head["LastModified"] > created
    assert head["Metadata"] == {"run-ended-at": "1800000000"}
    assert s3.get_object(Bucket=bucket, Key="runs/r1/big")["Body"].read() == b"x" * 10


def test_run_records_expire_the_same_retention_after_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPSTREAM_RUN_RETENTION_DAYS", "7")

    assert run_expiry(1_800_000_000) == 1_800_000_000 + 7 * DAY_SECONDS
    assert Settings.from_env().run_retention_days == 7
