"""What one boto3 request asks IAM for: the actions and the resource ARNs AWS would authorize it
against, derived from the service, the operation and its parameters.

Only the services stepstream calls are described resource by resource (DynamoDB, SQS, S3, Secrets
Manager, SSM parameters, API Gateway's ``@connections``, Bedrock). Any other request is asked for
as ``<service>:<Operation>`` on ``*``, so only a statement granting every resource allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from ._iam_policies import LocalNames

# Operations whose IAM action is not "<service>:<Operation>".
_ACTIONS = {
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("bedrock", "Converse"): "InvokeModel",
    ("bedrock", "ConverseStream"): "InvokeModelWithResponseStream",
}
_CONNECTION_METHODS = {
    "PostToConnection": "POST",
    "GetConnection": "GET",
    "DeleteConnection": "DELETE",
}


@dataclass(frozen=True)
class Requested:
    """One action on one resource that a request needs."""

    action: str
    resource: str


def requested(
    service: str, operation: str, params: Mapping[str, Any], names: LocalNames
) -> list[Requested]:
    """What AWS authorizes for ``operation`` of ``service`` (the IAM prefix) with ``params``."""
    describe = _SERVICES.get(service)
    if describe is not None:
        return describe(operation, params, names)
    return [Requested(f"{service}:{operation}", "*")]


def _arn(names: LocalNames, service: str, rest: str, *, region: bool = True) -> str:
    where = names.region if region else ""
    return f"arn:{names.partition}:{service}:{where}:{names.account}:{rest}"


def _table(names: LocalNames, table: str, index: str | None = None) -> str:
    arn = table if table.startswith("arn:") else _arn(names, "dynamodb", f"table/{table}")
    return f"{arn}/index/{index}" if index else arn


_TRANSACT = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "Get": "GetItem",
}


def _dynamodb(operation: str, params: Mapping[str, Any], names: LocalNames) -> list[Requested]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            Requested(f"dynamodb:{_TRANSACT[kind]}", _table(names, body["TableName"]))
            for item in params.get("TransactItems", [])
            for kind, body in item.items()
        ]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [
            Requested(f"dynamodb:{operation}", _table(names, table))
            for table in params.get("RequestItems", {})
        ]
    if "TableName" in params:
        table = _table(names, params["TableName"], params.get("IndexName"))
        return [Requested(f"dynamodb:{operation}", table)]
    return [Requested(f"dynamodb:{operation}", "*")]


def _sqs(operation: str, params: Mapping[str, Any], names: LocalNames) -> list[Requested]:
    action = f"sqs:{_ACTIONS.get(('sqs', operation), operation)}"
    if "QueueUrl" in params:
        name = urlparse(params["QueueUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
    elif "QueueName" in params:
        name = params["QueueName"]
    else:
        return [Requested(action, "*")]
    return [Requested(action, _arn(names, "sqs", name))]


def _object(names: LocalNames, bucket: str, key: str) -> str:
    return f"arn:{names.partition}:s3:::{bucket}/{key}"


def _s3(operation: str, params: Mapping[str, Any], names: LocalNames) -> list[Requested]:
    action = f"s3:{_ACTIONS.get(('s3', operation), operation)}"
    bucket = params.get("Bucket")
    if bucket is None:
        return [Requested(action, "*")]
    if "Key" not in params:
        return [Requested(action, f"arn:{names.partition}:s3:::{bucket}")]
    target = _object(names, bucket, params["Key"])
    if operation == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):
            source_bucket, _, source_key = unquote(source).lstrip("/").partition("/")
        else:
            source_bucket, source_key = source["Bucket"], source["Key"]
        needed = [
            Requested("s3:GetObject", _object(names, source_bucket, source_key)),
            Requested("s3:PutObject", target),
        ]
        if params.get("TaggingDirective") == "REPLACE":
            needed.append(Requested("s3:PutObjectTagging", target))
        return needed
    needed = [Requested(action, target)]
    if operation == "PutObject" and params.get("Tagging"):
        needed.append(Requested("s3:PutObjectTagging", target))
    return needed


def _secretsmanager(
    operation: str, params: Mapping[str, Any], names: LocalNames
) -> list[Requested]:
    secret = str(params.get("SecretId", params.get("Name", "*")))
    if not secret.startswith("arn:") and secret != "*":
        # A name: the ARN of the local secret of that name (ARNs end in -<6 random characters>).
        known = [arn for arn in names.refs.values() if arn.startswith("arn:")]
        matches = [a for a in known if ":secret:" in a and a.split(":secret:")[1][:-7] == secret]
        secret = matches[0] if matches else _arn(names, "secretsmanager", f"secret:{secret}")
    return [Requested(f"secretsmanager:{operation}", secret)]


def _ssm(operation: str, params: Mapping[str, Any], names: LocalNames) -> list[Requested]:
    listed = params.get("Names") or [params.get("Name", params.get("Path", "*"))]

    def arn(name: str) -> str:
        return (
            name if name.startswith("arn:") else _arn(names, "ssm", f"parameter/{name.lstrip('/')}")
        )

    return [Requested(f"ssm:{operation}", arn(str(n))) for n in listed]


def _execute_api(operation: str, params: Mapping[str, Any], names: LocalNames) -> list[Requested]:
    # The local gateway serves one WebSocket API: its @connections are that API's, at the stage
    # the template deploys.
    api = names.refs.get(names.websocket_api, names.websocket_api)
    stage = names.parameters.get("Stage", names.refs.get("Stage", "prod"))
    method = _CONNECTION_METHODS.get(operation, operation)
    connection = params.get("ConnectionId", "*")
    resource = _arn(names, "execute-api", f"{api}/{stage}/{method}/@connections/{connection}")
    return [Requested("execute-api:ManageConnections", resource)]


def _bedrock(operation: str, params: Mapping[str, Any], names: LocalNames) -> list[Requested]:
    action = f"bedrock:{_ACTIONS.get(('bedrock', operation), operation)}"
    model = str(params.get("modelId", "*"))
    if not model.startswith("arn:"):
        model = f"arn:{names.partition}:bedrock:{names.region}::foundation-model/{model}"
    return [Requested(action, model)]


_SERVICES = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "s3": _s3,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "execute-api": _execute_api,
    "bedrock": _bedrock,
}
