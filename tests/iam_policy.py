"""Resolve a CloudFormation template's IAM policies and evaluate requests against them with IAM's rules.

Two small pieces, no AWS involved:

* `resolve_template`: parse YAML with CloudFormation's short tags, substitute parameters (defaults, overrides,
  AllowedPattern checked) and pseudo parameters, evaluate Conditions and the intrinsic functions the templates use,
  drop `AWS::NoValue`. `role_statements` then collects what a role is granted: its inline `Policies`, the managed
  policies of the template it lists in `ManagedPolicyArns`, and `AWS::IAM::Policy`/`ManagedPolicy` resources that
  name it in `Roles`. `failed_rules` evaluates the template's Rules, which CloudFormation checks before it creates
  or updates anything.
* `evaluate`: one request (action, resource ARN, request context) against statements, as IAM evaluates an
  identity policy in one account: an explicit Deny wins, otherwise an Allow is needed, otherwise implicit deny.
  Action, NotAction, Resource, NotResource with `*`/`?` wildcards (actions case-insensitive), and the condition
  operators below. A condition on a key the request does not carry does not match (the negated operators and the
  `...IfExists` forms excepted), which is why `s3:ListBucket` granted under an `s3:prefix` condition does not count
  for the ListBucket check of a HeadObject: that request has no `s3:prefix`.

Anything the evaluator does not know (an intrinsic function, a condition operator, a policy variable) raises, so
a template change cannot make the check pass by being ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "ap-northeast-2",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "cloudtrail-etl",
    "AWS::StackId": "arn:aws:cloudformation:ap-northeast-2:123456789012:stack/cloudtrail-etl/0",
}
_NO_VALUE = object()


# --- YAML with CloudFormation short tags -----------------------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    pass


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_tag)


def load_template(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_CfnLoader)  # a SafeLoader subclass


# --- intrinsic functions ---------------------------------------------------------------------------------------


@dataclass
class Resolved:
    """A template with parameters substituted and conditions evaluated."""

    template: dict[str, Any]
    parameters: dict[str, str]
    conditions: dict[str, bool]

    def resources(self) -> dict[str, dict[str, Any]]:
        """Resources whose Condition holds, with their Properties resolved."""
        found = {}
        for name, resource in self.template.get("Resources", {}).items():
            condition = resource.get("Condition")
            if condition and not self.conditions[condition]:
                continue
            properties = _resolve(resource.get("Properties", {}), self)
            found[name] = {"Type": resource["Type"], "Properties": properties}
        return found


def _sub(text: str, variables: dict[str, Any], context: Resolved) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name:
            resource, attribute = name.split(".", 1)
            return _get_att(resource, attribute, context)
        return str(_ref(name, context))

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def _ref(name: str, context: Resolved) -> str:
    if name in context.parameters:
        return context.parameters[name]
    if name in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[name]
    if name in context.template.get("Resources", {}):
        return f"ref:{name}"  # a physical id or ARN only known after deployment
    raise KeyError(f"!Ref {name}: no such parameter or resource")


def _get_att(resource: str, attribute: str, context: Resolved) -> str:
    if resource not in context.template.get("Resources", {}):
        raise KeyError(f"!GetAtt {resource}.{attribute}: no such resource")
    return f"getatt:{resource}.{attribute}"


def _condition(name: str, context: Resolved) -> bool:
    if name not in context.conditions:
        context.conditions[name] = bool(_resolve(context.template["Conditions"][name], context))
    return context.conditions[name]


def _resolve(node: Any, context: Resolved) -> Any:
    if isinstance(node, list):
        items = [_resolve(item, context) for item in node]
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Ref":
            return _NO_VALUE if value == "AWS::NoValue" else _ref(value, context)
        if key == "Condition" and isinstance(value, str):
            return _condition(value, context)
        if key.startswith("Fn::"):
            return _function(key[4:], value, context)
    resolved = {key: _resolve(value, context) for key, value in node.items()}
    return {key: value for key, value in resolved.items() if value is not _NO_VALUE}


def _function(name: str, value: Any, context: Resolved) -> Any:
    if name == "If":
        condition, if_true, if_false = value
        return _resolve(if_true if _condition(condition, context) else if_false, context)
    if name == "Equals":
        left, right = (_resolve(item, context) for item in value)
        return str(left) == str(right)
    if name == "Not":
        return not _resolve(value[0], context)
    if name == "And":
        return all(_resolve(item, context) for item in value)
    if name == "Or":
        return any(_resolve(item, context) for item in value)
    if name == "Contains":  # Rules only: is the value one of the list's
        items, wanted = (_resolve(item, context) for item in value)
        return str(wanted) in [str(item) for item in items]
    if name == "Sub":
        if isinstance(value, str):
            return _sub(value, {}, context)
        text, variables = value
        return _sub(text, {key: _resolve(item, context) for key, item in variables.items()}, context)
    if name == "Join":
        separator, items = value
        return separator.join(str(item) for item in _resolve(items, context))
    if name == "Split":
        separator, text = value
        return str(_resolve(text, context)).split(separator)
    if name == "Select":
        index, items = value
        return _resolve(items, context)[int(_resolve(index, context))]
    if name == "GetAtt":
        resource, attribute = value
        return _get_att(resource, attribute, context)
    raise ValueError(f"Fn::{name} is not supported by this resolver")


def resolve_template(path: Path | str, overrides: dict[str, str], text: Optional[str] = None) -> Resolved:
    """The template at `path` (or given as `text`) with `overrides` for its parameters, as CloudFormation would."""
    template = load_template(text if text is not None else Path(path).read_text())
    parameters: dict[str, str] = {}
    declared = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise KeyError(f"not parameters of the template: {sorted(unknown)}")
    for name, spec in declared.items():
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise KeyError(f"parameter {name} has no default and no value")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, value):
            raise ValueError(f"{name}={value!r} does not match its AllowedPattern {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed and value not in [str(item) for item in allowed]:
            raise ValueError(f"{name}={value!r} is not one of {allowed}")
        parameters[name] = value
    context = Resolved(template, parameters, {})
    for name in template.get("Conditions", {}):
        _condition(name, context)
    return context


def failed_rules(resolved: Resolved) -> list[str]:
    """The assertions of the template's Rules that fail for the resolved parameters, as "RULE: AssertDescription":
    CloudFormation would refuse the stack with that message."""
    failed = []
    for name, rule in resolved.template.get("Rules", {}).items():
        if "RuleCondition" in rule and not _resolve(rule["RuleCondition"], resolved):
            continue
        for assertion in rule["Assertions"]:
            if not _resolve(assertion["Assert"], resolved):
                failed.append(f"{name}: {assertion.get('AssertDescription', '')}")
    return failed


def _policy_documents(resources: dict[str, dict[str, Any]], role: str) -> list[dict[str, Any]]:
    properties = resources[role]["Properties"]
    documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    for arn in properties.get("ManagedPolicyArns", []):
        if not arn.startswith("ref:"):
            raise ValueError(f"{role} attaches {arn}, a policy outside the template: cannot evaluate it")
        documents.append(resources[arn[len("ref:") :]]["Properties"]["PolicyDocument"])
    for resource in resources.values():
        is_policy = resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        if is_policy and f"ref:{role}" in resource["Properties"].get("Roles", []):
            documents.append(resource["Properties"]["PolicyDocument"])
    return documents


def role_statements(resolved: Resolved, role: str) -> list[dict[str, Any]]:
    """Every policy statement that applies to the role `role` (a logical id) of the resolved template."""
    resources = resolved.resources()
    statements: list[dict[str, Any]] = []
    for document in _policy_documents(resources, role):
        found = document["Statement"]
        statements.extend(found if isinstance(found, list) else [found])
    return statements


def policy_statements(resolved: Resolved, policy: str) -> list[dict[str, Any]]:
    """The statements of one managed policy resource (a logical id) of the resolved template."""
    document = resolved.resources()[policy]["Properties"]["PolicyDocument"]
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


# --- evaluation ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One authorization check: an action on one resource, with the request's condition keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        keys = "".join(f" {key}={value!r}" for key, value in self.context)
        return f"{self.action} {self.resource}{keys}"


@dataclass
class Decision:
    allowed: bool
    reason: str
    matched: list[str] = field(default_factory=list)


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if "${" in pattern:
        raise ValueError(f"policy variables are not supported: {pattern}")
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches_any(patterns: Any, value: str, ignore_case: bool = False) -> bool:
    return any(_wildcard(str(pattern), value, ignore_case) for pattern in _as_list(patterns))


_STRING_TESTS = {
    "StringEquals": lambda want, have: want == have,
    "StringEqualsIgnoreCase": lambda want, have: want.lower() == have.lower(),
    "StringLike": lambda want, have: _wildcard(want, have),
    "ArnEquals": lambda want, have: want == have,
    "ArnLike": lambda want, have: _wildcard(want, have),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotLike": "ArnLike"}


def _condition_holds(operator: str, key: str, wanted: Any, context: dict[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    if ":" in base:
        raise ValueError(f"condition set operators are not supported: {operator}")
    negated = base in _NEGATED
    test = _STRING_TESTS.get(_NEGATED.get(base, base))
    if test is None:
        raise ValueError(f"condition operator {operator} is not supported by this evaluator")
    if key not in context:
        # IAM: a missing key does not match; a negated operator or ...IfExists then holds.
        return if_exists or negated
    hit = any(test(str(want), context[key]) for want in _as_list(wanted))
    return not hit if negated else hit


def _statement_applies(statement: dict[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not _matches_any(statement["Action"], request.action, ignore_case=True):
            return False
    elif _matches_any(statement["NotAction"], request.action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches_any(statement["Resource"], request.resource):
            return False
    elif _matches_any(statement["NotResource"], request.resource):
        return False
    context = dict(request.context)
    for operator, tests in statement.get("Condition", {}).items():
        for key, wanted in tests.items():
            if not _condition_holds(operator, key, wanted, context):
                return False
    return True


def evaluate(statements: list[dict[str, Any]], request: Request) -> Decision:
    """IAM's identity-policy logic for one request: explicit Deny, else Allow, else implicit deny."""
    allows, denies = [], []
    for index, statement in enumerate(statements):
        if _statement_applies(statement, request):
            name = statement.get("Sid", f"#{index}")
            (denies if statement["Effect"] == "Deny" else allows).append(name)
    if denies:
        return Decision(False, "explicit deny", denies)
    if allows:
        return Decision(True, "allowed", allows)
    return Decision(False, "implicit deny (no statement allows it)")
