"""Create the template's tables, queues and buckets on a local endpoint (moto, DynamoDB Local).

template.yaml is the one source of truth: this reads its ``AWS::DynamoDB::Table``,
``AWS::SQS::Queue`` and ``AWS::S3::Bucket`` resources and the functions' environment variables,
so local resources and the variables pointing at them cannot drift from what is deployed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._aws import client

_INTRINSIC_TAGS = (
    "Ref",
    "Sub",
    "GetAtt",
    "Join",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "GetAZs",
    "Base64",
    "Condition",
    "Cidr",
    "Transform",
)


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation short-form tags as ``{"Fn::X": value}``."""


def _intrinsic(tag: str) -> Any:
    key = "Ref" if tag == "Ref" else ("Condition" if tag == "Condition" else f"Fn::{tag}")

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _tag in _INTRINSIC_TAGS:
    _TemplateLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template, keeping intrinsic functions as data."""
    with open(path, encoding="utf-8") as f:
        data = yaml.load(f, Loader=_TemplateLoader)
    if not isinstance(data, dict) or "Resources" not in data:
        raise ValueError(f"{path} is not a CloudFormation template (no Resources section)")
    return data


@dataclass
class Provisioned:
    """What was created, by logical id, and the environment that points at it."""

    tables: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)


def _resolve(value: Any, refs: dict[str, str], atts: dict[tuple[str, str], str]) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return refs.get(arg, arg)
        if key == "Fn::GetAtt":
            return atts.get((arg[0], arg[1]), "")
        if key == "Fn::Sub" and isinstance(arg, str):
            out = arg
            for name, resolved in refs.items():
                out = out.replace("${" + name + "}", resolved)
            return out
    return value


def provision(template_path: str | Path, *, prefix: str = "") -> Provisioned:
    """Create every table, queue and bucket the template declares; return their names and the
    function environment with ``!Ref``/``!GetAtt`` resolved to them. Idempotent."""
    template = load_template(template_path)
    resources: dict[str, Any] = template["Resources"]
    out = Provisioned()
    refs: dict[str, str] = {}
    atts: dict[tuple[str, str], str] = {}

    def by_type(kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(k, v.get("Properties") or {}) for k, v in resources.items() if v["Type"] == kind]

    dynamodb = client("dynamodb")
    for logical_id, props in by_type("AWS::DynamoDB::Table"):
        name = prefix + logical_id
        spec: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = [
                {k: v for k, v in gsi.items() if k != "ProvisionedThroughput"}
                for gsi in props["GlobalSecondaryIndexes"]
            ]
        try:
            dynamodb.create_table(**spec)
        except dynamodb.exceptions.ResourceInUseException:
            pass
        out.tables[logical_id] = refs[logical_id] = name

    sqs = client("sqs")
    queues = by_type("AWS::SQS::Queue")
    # Dead-letter queues first: a redrive policy needs its target's ARN.
    queues.sort(key=lambda item: "RedrivePolicy" in item[1])
    for logical_id, props in queues:
        name = prefix + logical_id
        attributes: dict[str, str] = {}
        if str(props.get("FifoQueue", "")).lower() == "true":
            # CloudFormation names a FIFO queue with the suffix SQS requires of it.
            name += ".fifo"
            attributes["FifoQueue"] = "true"
            for fifo in ("DeduplicationScope", "FifoThroughputLimit"):
                if fifo in props:
                    attributes[fifo] = str(props[fifo])
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(_resolve(props["VisibilityTimeout"], refs, atts))
        if "RedrivePolicy" in props:
            policy = dict(props["RedrivePolicy"])
            policy["deadLetterTargetArn"] = _resolve(policy["deadLetterTargetArn"], refs, atts)
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        out.queues[logical_id] = refs[logical_id] = url
        out.queue_arns[logical_id] = atts[(logical_id, "Arn")] = arn
        atts[(logical_id, "QueueName")] = name
        atts[(logical_id, "QueueUrl")] = url

    s3 = client("s3")
    for logical_id, _props in by_type("AWS::S3::Bucket"):
        name = (prefix + logical_id).lower()
        try:
            s3.create_bucket(Bucket=name)
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            pass
        out.buckets[logical_id] = refs[logical_id] = name

    variables = (
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    for key, value in variables.items():
        resolved = _resolve(value, refs, atts)
        if isinstance(resolved, (str, int, float)) and not isinstance(resolved, bool):
            out.environment[key] = str(resolved)
    return out
