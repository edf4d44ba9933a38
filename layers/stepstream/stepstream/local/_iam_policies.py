"""Each function's IAM policy, read from the SAM-transformed template with the intrinsic functions
resolved to the local stack's names, and the evaluation AWS does for one request.

Evaluation follows IAM's identity-policy rules for one role: an explicit ``Deny`` wins, then any
``Allow`` whose action and resource patterns match (``*`` and ``?`` wildcards; actions compared
without case, resources with case). A statement with a ``Condition`` cannot be evaluated here
(the keys are request context this emulation does not have): it never grants and always denies,
and the decision says so. Resource policies, permission boundaries, SCPs and session policies are
not modelled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

# What the managed policies SAM attaches allow (AWS's published documents, trimmed to the actions).
MANAGED_POLICIES: dict[str, tuple[str, ...]] = {
    "AWSLambdaBasicExecutionRole": (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ),
    "AWSXrayWriteOnlyAccess": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ),
}


@dataclass(frozen=True)
class LocalNames:
    """What the template's logical ids, attributes and parameters are on the local stack."""

    refs: Mapping[str, str]
    """``Ref`` of each resource: table and bucket names, queue URLs, secret ARNs, API ids."""
    attributes: Mapping[tuple[str, str], str]
    """``Fn::GetAtt`` values: ``("StateTable", "Arn")`` -> the table's ARN."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """Template parameters that differ from their defaults."""
    region: str = "us-east-1"
    account: str = "123456789012"
    partition: str = "aws"
    websocket_api: str = "WebSocketApi"
    """Logical id of the WebSocket API whose ``@connections`` the local gateway serves."""


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_actions: bool = False
    not_resources: bool = False
    conditional: bool = False
    sid: str = ""

    def matches(self, action: str, resource: str) -> bool:
        action_hit = any(_pattern(a, True).fullmatch(action) for a in self.actions)
        resource_hit = any(_pattern(r, False).fullmatch(resource) for r in self.resources)
        return (action_hit != self.not_actions) and (resource_hit != self.not_resources)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class RolePolicy:
    """Everything one function's role allows and denies."""

    function: str
    role: str
    statements: tuple[Statement, ...]

    def decide(self, action: str, resource: str) -> Decision:
        hits = [s for s in self.statements if s.matches(action, resource)]
        for s in hits:
            if s.effect == "Deny":
                why = " (its condition is not evaluated locally)" if s.conditional else ""
                return Decision(False, f"an explicit deny in {s.sid or 'a statement'}{why}")
        allows = [s for s in hits if s.effect == "Allow"]
        if any(not s.conditional for s in allows):
            return Decision(True, "allowed")
        if allows:
            sids = ", ".join(s.sid or "?" for s in allows)
            return Decision(
                False,
                f"only conditional statements ({sids}) allow it; conditions "
                "are not evaluated locally",
            )
        return Decision(False, "no identity-based policy allows it")


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = re.escape(text).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


class Resolver:
    """Intrinsic functions evaluated with the local names and the template's conditions."""

    def __init__(self, template: Mapping[str, Any], names: LocalNames) -> None:
        self._names = names
        self._conditions: Mapping[str, Any] = template.get("Conditions") or {}
        self._mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._parameters = {
            name: str(names.parameters.get(name, spec.get("Default", "")))
            for name, spec in (template.get("Parameters") or {}).items()
        }
        self._pseudo = {
            "AWS::Region": names.region,
            "AWS::AccountId": names.account,
            "AWS::Partition": names.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "local",
        }

    def ref(self, name: str) -> str:
        for table in (self._pseudo, self._parameters, self._names.refs):
            if name in table:
                return str(table[name])
        raise ValueError(f"Ref {name!r} has no local value; name it in LocalNames.refs")

    def attribute(self, logical_id: str, attribute: str) -> str:
        try:
            return self._names.attributes[(logical_id, attribute)]
        except KeyError:
            raise ValueError(
                f"Fn::GetAtt {logical_id}.{attribute} has no local value; name it in "
                "LocalNames.attributes"
            ) from None

    def condition(self, name: str) -> bool:
        return bool(self.value(self._conditions[name]))

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            return {k: self.value(v) for k, v in node.items()}
        ((key, arg),) = node.items()
        if key == "Ref":
            return _NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
        if key == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.attribute(logical_id, attribute)
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else arg
            return self._sub(text, {k: self.value(v) for k, v in variables.items()})
        if key == "Fn::Join":
            return str(arg[0]).join(str(v) for v in self.value(arg[1]))
        if key == "Fn::If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        if key == "Fn::Equals":
            return str(self.value(arg[0])) == str(self.value(arg[1]))
        if key == "Fn::Not":
            return not self.value(arg[0])
        if key == "Fn::And":
            return all(self.value(a) for a in arg)
        if key == "Fn::Or":
            return any(self.value(a) for a in arg)
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::FindInMap":
            name, first, second = (str(self.value(a)) for a in arg)
            return self.value(self._mappings[name][first][second])
        if key.startswith("Fn::"):
            raise ValueError(f"{key} is not evaluated by the local IAM emulation")
        return {key: self.value(arg)}

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.attribute(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, text)


class _NoValue:
    pass


_NO_VALUE = _NoValue()
NO_VALUE = _NO_VALUE
"""What ``Ref: AWS::NoValue`` resolves to (a property left out)."""


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _statements(document: Mapping[str, Any]) -> Iterable[Statement]:
    raw = document.get("Statement", [])
    for s in raw if isinstance(raw, list) else [raw]:
        yield Statement(
            effect=s["Effect"],
            actions=_strings(s.get("Action", s.get("NotAction", []))),
            resources=_strings(s.get("Resource", s.get("NotResource", []))),
            not_actions="NotAction" in s,
            not_resources="NotResource" in s,
            conditional=bool(s.get("Condition")),
            sid=str(s.get("Sid", "")),
        )


def _managed(arn: str) -> Statement:
    name = arn.rsplit("/", 1)[-1]
    if name not in MANAGED_POLICIES:
        raise ValueError(f"the managed policy {arn} is not known to the local IAM emulation")
    return Statement("Allow", MANAGED_POLICIES[name], ("*",), sid=name)


def role_policies(transformed: Mapping[str, Any], names: LocalNames) -> dict[str, RolePolicy]:
    """Each ``AWS::Lambda::Function``'s role as a :class:`RolePolicy`, by function logical id."""
    resolver = Resolver(transformed, names)
    resources: Mapping[str, Any] = transformed["Resources"]
    out: dict[str, RolePolicy] = {}
    for function, spec in resources.items():
        if spec["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = spec["Properties"]["Role"]
        role = role_ref["Fn::GetAtt"][0] if "Fn::GetAtt" in role_ref else str(role_ref)
        props = resolver.value(resources[role]["Properties"])
        found = [_managed(arn) for arn in props.get("ManagedPolicyArns", [])]
        for policy in props.get("Policies", []):
            found.extend(_statements(policy["PolicyDocument"]))
        out[function] = RolePolicy(function, role, tuple(found))
    return out


def transform(template_path: str | Path, parameters: Mapping[str, str] | None = None) -> Any:
    """The template after the SAM transform, as CloudFormation receives it (needs
    aws-sam-translator, which the sam CLI and cfn-lint install)."""
    try:
        from samtranslator.translator.transform import (  # type: ignore[import-untyped]
            transform as sam_transform,
        )
        from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - the dev extras install it
        raise RuntimeError(
            "the local IAM emulation reads the SAM-transformed template: pip install "
            "aws-sam-translator"
        ) from exc

    document = yaml_parse(Path(template_path).read_text(encoding="utf-8"))
    # The transform wants S3 locations where `sam package` would put them.
    for spec in [document.get("Globals", {}).get("Function", {}), *document["Resources"].values()]:
        props = spec.get("Properties", spec)
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = "s3://bucket/code.zip"

    class _NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return sam_transform(document, dict(parameters or {}), _NoManagedPolicies())
