"""GIVEN the template's roles enforced locally WHEN a function makes a call THEN it is allowed or
refused as IAM would decide it: by action and by resource (the table, its index, the object, the
secret, the @connections ARN), with AWS's AccessDenied error, and only while a function acts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from stepstream import aws as _aws
from stepstream.local import IamEmulator, Provisioned
from stepstream.local._iam_policies import RolePolicy, Statement


def refused(error: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = error.value.response["Error"]["Code"]
    return code


def test_a_secret_outside_the_role_is_access_denied(iam: IamEmulator) -> None:
    jwt_arn = iam.names.refs["JwtSecret"]
    with iam.enforce("WsConnectFunction"), pytest.raises(ClientError) as error:
        _aws.client("secretsmanager").get_secret_value(SecretId=jwt_arn)

    assert refused(error) == "AccessDeniedException"
    assert "WsConnectFunctionRole" in str(error.value)
    ((denial),) = iam.denials
    assert (denial.action, denial.resource) == ("secretsmanager:GetSecretValue", jwt_arn)


def test_the_same_call_is_allowed_where_the_role_grants_it(iam: IamEmulator) -> None:
    with iam.enforce("WsAuthorizerFunction"):
        _aws.client("secretsmanager").get_secret_value(SecretId=iam.names.refs["JwtSecret"])

    assert iam.denials == []
    assert iam.checked == 1


def test_grants_are_per_table_and_per_index(iam: IamEmulator, aws: Provisioned) -> None:
    dynamodb = _aws.client("dynamodb")
    state, realtime = aws.tables["StateTable"], aws.tables["RealtimeTable"]
    query = {
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "x"}},
    }
    with iam.enforce("ExecutorFunction"):
        dynamodb.query(TableName=state, IndexName="gsi1", **query)  # StateTable/index/* granted
        with pytest.raises(ClientError):
            dynamodb.scan(TableName=state)  # no Scan anywhere
    with iam.enforce("WsConnectFunction"), pytest.raises(ClientError):
        dynamodb.get_item(TableName=state, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})

    assert [(d.function, d.action, d.resource.rsplit(":", 1)[1]) for d in iam.denials] == [
        ("ExecutorFunction", "dynamodb:Scan", f"table/{state}"),
        ("WsConnectFunction", "dynamodb:GetItem", f"table/{state}"),
    ]
    assert realtime  # provisioned alongside, granted to the realtime functions only


def test_objects_are_granted_not_the_bucket_listing(iam: IamEmulator, aws: Provisioned) -> None:
    s3, bucket = _aws.client("s3"), aws.buckets["OutputsBucket"]
    with iam.enforce("ExecutorFunction"):
        s3.put_object(Bucket=bucket, Key="runs/r1/out", Body=b"x")
        with pytest.raises(ClientError) as error:
            s3.list_objects_v2(Bucket=bucket)

    assert refused(error) == "AccessDenied"
    assert iam.denials[0].resource == f"arn:aws:s3:::{bucket}"


def test_connections_are_granted_to_the_functions_that_post(iam: IamEmulator) -> None:
    decide = iam.policies["WsConnectFunction"].decide
    arn = "arn:aws:execute-api:us-east-1:123456789012:local/sample/POST/@connections/abc="
    assert not decide("execute-api:ManageConnections", arn).allowed
    assert iam.policies["WsDefaultFunction"].decide("execute-api:ManageConnections", arn).allowed
    assert iam.policies["ExecutorFunction"].decide("execute-api:ManageConnections", arn).allowed


def test_calls_while_no_function_acts_are_not_checked(iam: IamEmulator, aws: Provisioned) -> None:
    _aws.client("dynamodb").scan(TableName=aws.tables["StateTable"])  # the test's own set-up

    assert iam.checked == 0


def test_explicit_deny_wins_and_conditions_never_grant() -> None:
    policy = RolePolicy(
        "Fn",
        "FnRole",
        (
            Statement("Allow", ("dynamodb:Get*",), ("arn:aws:dynamodb:*:*:table/T",)),
            Statement("Deny", ("dynamodb:GetItem",), ("*",), sid="NoGets"),
            Statement("Allow", ("s3:GetObject",), ("*",), conditional=True, sid="Tagged"),
        ),
    )
    table = "arn:aws:dynamodb:us-east-1:1:table/T"

    assert policy.decide("dynamodb:getrecords", table).allowed  # actions ignore case
    assert policy.decide("dynamodb:GetItem", table).reason == "an explicit deny in NoGets"
    conditional = policy.decide("s3:GetObject", "arn:aws:s3:::b/k")
    assert not conditional.allowed
    assert "not evaluated locally" in conditional.reason
