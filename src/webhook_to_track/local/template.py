"""Read template.yaml (CloudFormation short tags included) so local runs and tests use the
template's own table definition and environment, and cannot drift from it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Final, Protocol

import yaml

FUNCTION_ID: Final = "IngestFunction"
FORWARDER_ID: Final = "ForwarderFunction"
TABLE_ID: Final = "IdempotencyTable"
QUEUE_ID: Final = "ForwardQueue"
DLQ_ID: Final = "ForwardDLQ"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns ``!Ref X`` into ``{"Ref": "X"}``, ``!Sub s`` into
    ``{"Fn::Sub": s}`` and so on, the long form CloudFormation itself uses."""


def _tag(loader: yaml.constructor.SafeConstructor, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}")
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


class _Loading(Protocol):
    def get_single_data(self) -> Any: ...
    def dispose(self) -> None: ...


_LOADER: Callable[[IO[str]], _Loading] = _CfnLoader
if yaml.__with_libyaml__:  # every PyPI wheel of PyYAML: libyaml parses ten times faster

    class _FastCfnLoader(yaml.CSafeLoader):
        """The same, on libyaml's parser."""

    _FastCfnLoader.add_multi_constructor("!", _tag)
    _LOADER = _FastCfnLoader


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        # what yaml.load does, with our SafeLoader subclass
        loader = _LOADER(handle)
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    if not isinstance(document, dict) or "Resources" not in document:
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


def table_definition(template: Mapping[str, Any], logical_id: str = TABLE_ID) -> dict[str, Any]:
    """``create_table`` keyword arguments taken from the template's table resource."""
    properties = template["Resources"][logical_id]["Properties"]
    return {
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }


def ttl_attribute(template: Mapping[str, Any], logical_id: str = TABLE_ID) -> str | None:
    spec = template["Resources"][logical_id]["Properties"].get("TimeToLiveSpecification") or {}
    return spec.get("AttributeName") if spec.get("Enabled") else None


def function_timeout(template: Mapping[str, Any], function_id: str = FUNCTION_ID) -> float:
    function = template["Resources"][function_id]["Properties"]
    globals_ = template.get("Globals", {}).get("Function", {})
    return float(function.get("Timeout", globals_.get("Timeout", 3)))


def _resolve(value: Any, parameters: Mapping[str, Any]) -> str | None:
    """Literal values as-is; ``!Ref Parameter`` to its default; other intrinsics unresolved."""
    if isinstance(value, str | int | float | bool):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        default = parameters[value["Ref"]].get("Default")
        return None if default is None else str(default)
    return None


def function_environment(
    template: Mapping[str, Any],
    env_json: Mapping[str, Any] | None = None,
    function_id: str = FUNCTION_ID,
) -> dict[str, str]:
    """The function's environment as ``sam local invoke --env-vars env.json`` builds it:
    template variables (Globals, then the function's), overridden by env.json's
    ``Parameters`` then its function section, for variables the template declares."""
    parameters = template.get("Parameters", {})
    declared: dict[str, Any] = {}
    declared.update(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    function = template["Resources"][function_id]["Properties"]
    declared.update(function.get("Environment", {}).get("Variables", {}))
    environment: dict[str, str] = {}
    for name, value in declared.items():
        resolved = _resolve(value, parameters)
        if resolved is not None:
            environment[name] = resolved
    for section in ("Parameters", function_id):
        for name, value in (env_json or {}).get(section, {}).items():
            if name in declared:  # sam local ignores variables the template does not declare
                environment[name] = value if isinstance(value, str) else json.dumps(value)
    return environment


def queue_attributes(
    template: Mapping[str, Any], logical_id: str, arns: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``create_queue`` attributes from the template's queue resource: retention, visibility
    and the redrive policy, with ``!Ref`` parameters at their defaults and ``!GetAtt X.Arn``
    taken from ``arns`` (logical id -> ARN of the queue already created)."""
    properties = template["Resources"][logical_id]["Properties"]
    parameters = template.get("Parameters", {})
    attributes: dict[str, str] = {}
    for name in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
        if name in properties:
            value = _resolve(properties[name], parameters)
            if value is not None:
                attributes[name] = value
    redrive = properties.get("RedrivePolicy")
    if redrive:
        target = redrive["deadLetterTargetArn"]
        arn = target["Fn::GetAtt"][0] if isinstance(target, dict) else target
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": (arns or {}).get(arn, arn),
                "maxReceiveCount": int(_resolve(redrive["maxReceiveCount"], parameters) or 10),
            }
        )
    return attributes
