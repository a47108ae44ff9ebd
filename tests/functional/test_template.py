"""template.yaml, env.json and the code agree: names, tables, queues, variables, limits."""

from __future__ import annotations

import ast
import json
import logging
import shutil
import subprocess
from typing import Any

import pytest

from tests.factories import ROOT
from webhook_to_track import settings as settings_module
from webhook_to_track.idempotency import CALL_KEY, DELIVERY_KEY
from webhook_to_track.local.template import (
    function_environment,
    function_timeout,
    load_template,
    table_definition,
    ttl_attribute,
)
from webhook_to_track.settings import Settings

TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
PARAMETERS = TEMPLATE["Parameters"]
GLOBAL_VARIABLES = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
INGEST = RESOURCES["IngestFunction"]["Properties"]
FORWARDER = RESOURCES["ForwarderFunction"]["Properties"]
QUEUE = RESOURCES["ForwardQueue"]["Properties"]
DLQ = RESOURCES["ForwardDLQ"]["Properties"]
HANDLERS = {
    "IngestFunction": "webhook_to_track.ingest.handler.lambda_handler",
    "ForwarderFunction": "webhook_to_track.queue.consumer.lambda_handler",
}
SERVICE_ONLY = [{"Name": "service", "Value": GLOBAL_VARIABLES["POWERTOOLS_SERVICE_NAME"]}]
# Stand-ins for what CloudFormation resolves at deploy time (!Ref of a resource).
DEPLOYED_VALUES = {
    settings_module.IDEMPOTENCY_TABLE: "t",
    settings_module.SECRETS_NAME: "s",
    settings_module.FORWARD_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    settings_module.FORWARD_DLQ_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
}


def resolve(value: Any) -> Any:
    """A literal as-is; ``!Ref Parameter`` to the parameter's default."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return PARAMETERS[value["Ref"]]["Default"]
    return value


def declared(function_id: str) -> set[str]:
    """The variables sam local lets env.json set on this function."""
    variables = RESOURCES[function_id]["Properties"]["Environment"]["Variables"]
    return set(GLOBAL_VARIABLES) | set(variables)


def forwarder_event_source() -> dict[str, Any]:
    """The forwarder's one SQS event source mapping, whether plain or a SAM event."""
    sources = [
        resource["Properties"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::Lambda::EventSourceMapping"
        and resource["Properties"]["FunctionName"] == {"Ref": "ForwarderFunction"}
    ]
    sources += [
        {**event["Properties"], "EventSourceArn": event["Properties"]["Queue"]}
        for event in FORWARDER.get("Events", {}).values()
        if event["Type"] == "SQS"
    ]
    (source,) = sources
    return source


def alarms() -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in function["Policies"] for s in policy["Statement"]]


def actions(function: dict[str, Any]) -> list[str]:
    return sorted(
        a
        for s in statements(function)
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )


@pytest.mark.parametrize("function_id", sorted(HANDLERS))
def test_functions_run_python_313_on_arm64_with_their_handler(function_id):
    globals_ = TEMPLATE["Globals"]["Function"]
    function = RESOURCES[function_id]
    assert (globals_["Runtime"], globals_["Architectures"]) == ("python3.13", ["arm64"])
    assert function["Properties"]["CodeUri"] == "src/"
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert function["Properties"]["Handler"] == HANDLERS[function_id]
    module, _, name = HANDLERS[function_id].rpartition(".")
    path = ROOT / "src" / f"{module.replace('.', '/')}.py"
    assert path.is_file(), f"{path} does not exist"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)} | {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert name in top_level


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_builds_both_functions_with_one_recipe(tmp_path):
    def recipe(function_id: str) -> str:
        make = shutil.which("make")
        assert make is not None
        return subprocess.run(
            [make, "-n", "-C", str(ROOT / "src"), f"build-{function_id}", "SKIP_PYC=1"],
            env={"ARTIFACTS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    ingest, forwarder = recipe("IngestFunction"), recipe("ForwarderFunction")
    assert "pip install" in ingest
    assert ingest == forwarder


def test_route_is_post_webhooks_source_payload_2():
    (event,) = INGEST["Events"].values()
    assert event["Type"] == "HttpApi"
    assert event["Properties"]["Path"] == "/webhooks/{source}"
    assert event["Properties"]["Method"] == "POST"
    assert event["Properties"]["PayloadFormatVersion"] == "2.0"


def test_idempotency_table_is_what_powertools_expects():
    definition = table_definition(TEMPLATE)
    assert definition["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert definition["BillingMode"] == "PAY_PER_REQUEST"
    assert ttl_attribute(TEMPLATE) == "expiration"
    assert DELIVERY_KEY == "[source, delivery_id]"
    assert CALL_KEY == "key"


def test_forwarder_drains_forward_queue_in_partial_batches():
    source = forwarder_event_source()
    assert source["EventSourceArn"] == {"Fn::GetAtt": ["ForwardQueue", "Arn"]}
    assert source["BatchSize"] == 10
    assert source["MaximumBatchingWindowInSeconds"] == 1
    assert "ReportBatchItemFailures" in source["FunctionResponseTypes"]


def test_forwarder_concurrency_is_the_one_the_pacer_divides_by():
    maximum = resolve(forwarder_event_source()["ScalingConfig"]["MaximumConcurrency"])
    variable = resolve(FORWARDER["Environment"]["Variables"]["FORWARDER_MAX_CONCURRENCY"])
    # cfn-lint does not check the minimum of 2 on a SAM SQS event: check it here.
    assert int(maximum) >= 2
    assert int(PARAMETERS["ForwarderMaxConcurrency"]["MinValue"]) >= 2
    assert int(variable) == int(maximum)
    # Reserved concurrency below the mapping's maximum would throttle the queue's invocations.
    reserved = FORWARDER.get("ReservedConcurrentExecutions")
    assert reserved is None or int(resolve(reserved)) >= int(maximum)


def test_queue_hides_a_message_longer_than_six_forwarder_timeouts():
    timeout = function_timeout(TEMPLATE, "ForwarderFunction")
    assert timeout == 30
    assert QUEUE["VisibilityTimeout"] >= 6 * timeout


def test_dead_letter_queue_outlives_forward_queue_and_only_takes_its_messages():
    assert DLQ["MessageRetentionPeriod"] > QUEUE["MessageRetentionPeriod"]
    assert QUEUE["MessageRetentionPeriod"] == 4 * 24 * 3600
    assert DLQ["MessageRetentionPeriod"] == 14 * 24 * 3600
    redrive = QUEUE["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["ForwardDLQ", "Arn"]}
    assert redrive["maxReceiveCount"] == {"Ref": "ForwardMaxReceiveCount"}
    receives = PARAMETERS["ForwardMaxReceiveCount"]
    assert (receives["Default"], receives["MinValue"], receives["MaxValue"]) == (20, 5, 100)
    allow = DLQ["RedriveAllowPolicy"]
    assert allow["redrivePermission"] == "byQueue"
    (source_arn,) = allow["sourceQueueArns"]
    assert source_arn["Fn::Sub"].endswith(":" + QUEUE["QueueName"]["Fn::Sub"])
    assert QUEUE["SqsManagedSseEnabled"] is True
    assert DLQ["SqsManagedSseEnabled"] is True


def test_call_records_outlive_every_copy_of_a_call():
    window = int(resolve(FORWARDER["Environment"]["Variables"]["CALL_IDEMPOTENCY_WINDOW_SECONDS"]))
    assert window > QUEUE["MessageRetentionPeriod"] + DLQ["MessageRetentionPeriod"]


def test_userpilot_rate_parameter_stays_under_userpilots_limit():
    rate = PARAMETERS["UserpilotRequestsPerMinute"]
    assert (rate["Type"], rate["Default"], rate["MinValue"], rate["MaxValue"]) == (
        "Number",
        480,
        1,
        600,
    )
    variables = FORWARDER["Environment"]["Variables"]
    assert variables["USERPILOT_REQUESTS_PER_MINUTE"] == {"Ref": "UserpilotRequestsPerMinute"}
    assert variables["FORWARD_AMBIGUOUS"] == {"Ref": "AmbiguousForwardPolicy"}
    assert PARAMETERS["AmbiguousForwardPolicy"]["AllowedValues"] == ["retry", "park"]


def test_alarms_on_our_metrics_watch_every_source():
    """The code publishes every count also without its source dimension (the totals); an alarm
    that named a source would miss every other one."""
    ours = 0
    for name, alarm in alarms().items():
        if alarm.get("Namespace") == "WebhookToTrack":
            ours += 1
            dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
            assert "source" not in dimensions, name
            assert dimensions["service"] == "webhook-to-track", name
            assert set(dimensions) <= {"service", "reason"}, name
        assert "Metrics" not in alarm, name  # plain metrics, covered by the test above
    assert ours >= 5


def test_alarms_cover_the_queue_the_forwarder_and_the_api():
    watched = {
        (alarm.get("Namespace"), alarm.get("MetricName"), json.dumps(alarm.get("Dimensions")))
        for alarm in alarms().values()
    }
    names = {metric for _, metric, _ in watched}
    assert {
        "ForwardAmbiguous",
        "ForwardFailed",
        "UserpilotAuthFailed",
        "QueueFailed",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Errors",
        "5xx",
    } <= names
    for function_id in HANDLERS:
        dimensions = json.dumps([{"Name": "FunctionName", "Value": {"Ref": function_id}}])
        assert ("AWS/Lambda", "Errors", dimensions) in watched
    dlq = json.dumps([{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ForwardDLQ", "QueueName"]}}])
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", dlq) in watched
    assert any("signature_mismatch" in json.dumps(alarm) for alarm in alarms().values())
    notify = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    for name, alarm in alarms().items():
        assert alarm["AlarmActions"] == notify, name
        assert alarm["OKActions"] == notify, name


def test_log_level_values_are_ones_lambda_and_powertools_accept():
    level = PARAMETERS["LogLevel"]
    lambda_levels = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
    assert set(level["AllowedValues"]) <= lambda_levels
    assert level["Default"] in level["AllowedValues"]
    for value in level["AllowedValues"]:  # POWERTOOLS_LOG_LEVEL goes to logging.setLevel
        assert isinstance(logging.getLevelName(value), int), value
    assert TEMPLATE["Globals"]["Function"]["LoggingConfig"]["ApplicationLogLevel"] == {
        "Ref": "LogLevel"
    }
    assert GLOBAL_VARIABLES["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_policies_are_least_privilege():
    idempotency = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    idempotency += ["dynamodb:DeleteItem"]
    assert actions(INGEST) == sorted(
        [*idempotency, "secretsmanager:GetSecretValue", "sqs:SendMessage"]
    )
    assert actions(FORWARDER) == sorted(
        [
            *idempotency,
            "secretsmanager:GetSecretValue",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
            "sqs:SendMessage",
        ]
    )
    queue, dlq = {"Fn::GetAtt": ["ForwardQueue", "Arn"]}, {"Fn::GetAtt": ["ForwardDLQ", "Arn"]}
    sends = {json.dumps(s["Resource"]) for s in statements(FORWARDER) if "SendMessage" in str(s)}
    assert sends == {json.dumps(dlq)}
    consumes = [s for s in statements(FORWARDER) if "sqs:ReceiveMessage" in s["Action"]]
    assert [s["Resource"] for s in consumes] == [queue]
    for function in (INGEST, FORWARDER):
        assert all("*" not in json.dumps(s["Resource"]) for s in statements(function))
        # A SAM SQS event would attach AWSLambdaSQSQueueExecutionRole (Resource "*").
        assert all(e["Type"] != "SQS" for e in function.get("Events", {}).values())


def test_each_function_has_its_log_group():
    for function_id in HANDLERS:
        group = RESOURCES[f"{function_id}LogGroup"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function_id}}}"}
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_outputs_are_the_contracts():
    assert set(TEMPLATE["Outputs"]) == {
        "WebhookBaseUrl",
        "SecretsName",
        "IdempotencyTableName",
        "IngestFunctionName",
        "IngestFunctionLogGroupName",
        "ForwarderFunctionName",
        "ForwarderFunctionLogGroupName",
        "ForwardQueueUrl",
        "ForwardQueueArn",
        "ForwardDLQUrl",
        "ForwardDLQArn",
        "IdempotencyWindowSeconds",
        "DashboardUrl",
    }


def test_no_secret_value_in_the_template():
    secret = RESOURCES["WebhookSecrets"]["Properties"]
    assert "SecretString" not in secret
    assert "GenerateSecretString" not in secret
    for function_id in HANDLERS:
        assert function_environment(TEMPLATE, function_id=function_id)["SECRETS_JSON"] == ""


@pytest.mark.parametrize("function_id", sorted(HANDLERS))
def test_template_environment_parses_in_aws(function_id):
    environment = {
        **function_environment(TEMPLATE, function_id=function_id),
        **{k: v for k, v in DEPLOYED_VALUES.items() if k in declared(function_id)},
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    }
    settings = Settings.from_env(environment)
    assert settings.secrets_json is None
    assert settings.idempotency_disabled is False
    assert settings.queue_url == DEPLOYED_VALUES[settings_module.FORWARD_QUEUE_URL]
    if function_id == "ForwarderFunction":
        assert settings.forward_mode == "send"
        assert settings.requests_per_minute == 480
        assert settings.forwarder_concurrency == 2
        assert settings.call_window_s == 19 * 24 * 3600


def test_env_json_only_sets_variables_the_template_declares():
    env_json = json.loads((ROOT / "env.json").read_text())
    assert set(env_json["Parameters"]) <= set(GLOBAL_VARIABLES)  # applies to every function
    assert set(env_json) == {"Parameters", *HANDLERS}
    for function_id in HANDLERS:
        assert set(env_json[function_id]) <= declared(function_id)  # sam local ignores others


def test_env_json_runs_both_functions_locally_without_aws():
    env_json = json.loads((ROOT / "env.json").read_text())
    keys = {
        function_id: json.loads(env_json[function_id]["SECRETS_JSON"])["userpilot_api_key"]
        for function_id in HANDLERS
    }
    assert keys["IngestFunction"] == keys["ForwarderFunction"]
    for function_id in HANDLERS:
        settings = Settings.from_env(function_environment(TEMPLATE, env_json, function_id))
        assert settings.queue_url is None  # ingest shows what it would queue
        assert settings.idempotency_disabled is True
        assert settings.secrets_json is not None
    forwarder = Settings.from_env(function_environment(TEMPLATE, env_json, "ForwarderFunction"))
    assert forwarder.forward_mode == "dry-run"
    assert forwarder.dlq_url is None


def test_settings_without_a_safe_default_are_declared_in_the_template():
    both = {
        settings_module.IDEMPOTENCY_TABLE,
        settings_module.IDEMPOTENCY_DISABLED,
        settings_module.SECRETS_NAME,
        settings_module.SECRETS_JSON,
        settings_module.FORWARD_QUEUE_URL,
    }
    forwarding = {
        settings_module.USERPILOT_HOST,
        settings_module.FORWARD_MODE,
        settings_module.FORWARD_DLQ_URL,
        settings_module.REQUESTS_PER_MINUTE,
        settings_module.FORWARDER_MAX_CONCURRENCY,
        settings_module.FORWARD_AMBIGUOUS,
        settings_module.CALL_WINDOW_S,
    }
    assert both | {settings_module.IDEMPOTENCY_WINDOW_S} <= declared("IngestFunction")
    assert both | forwarding <= declared("ForwarderFunction")
    assert not forwarding & declared("IngestFunction")  # ingest no longer talks to Userpilot


# --- the dashboard ----------------------------------------------------------------------------

OUR_NAMESPACE = GLOBAL_VARIABLES["POWERTOOLS_METRICS_NAMESPACE"]
SERVICE = GLOBAL_VARIABLES["POWERTOOLS_SERVICE_NAME"]


def dashboard_body() -> dict[str, Any]:
    """The dashboard's JSON with every ${...} of its !Sub resolved to a stand-in; each name a
    ${...} uses must be a resource (or resource attribute) or a pseudo parameter."""
    import re

    (dashboard,) = [r for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    for name in re.findall(r"\$\{([^}!]+)\}", body):
        assert name.startswith("AWS::") or name.split(".")[0] in RESOURCES, name
    document: dict[str, Any] = json.loads(re.sub(r"\$\{([^}!]+)\}", r"<\1>", body))
    return document


def metric_names(node: ast.AST) -> tuple[set[str], set[str]]:
    """(names counted per source, names counted with a reason) that one AST node publishes."""
    plain: set[str] = set()
    with_reason: set[str] = set()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.attr == "count" and len(node.args) == 2 and args:
            plain.add(args[-1])
        if node.func.attr == "_single" and args:
            with_reason.add(args[0])
    counts = isinstance(node, ast.Subscript | ast.AnnAssign)
    target = getattr(node, "value" if isinstance(node, ast.Subscript) else "target", None)
    if counts and isinstance(target, ast.Attribute) and target.attr == "_counts":
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            plain.add(node.slice.value)
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict):
            plain |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    return plain, with_reason


def emitted_metrics() -> dict[str, set[frozenset[str]]]:
    """Every metric name the handlers publish, read from the code (``count(source, NAME)`` in
    the forwarder; ``_counts[NAME]``, the ``_counts`` literal and ``_single(NAME, reason)`` in
    observability), with the dimension sets emit_counts and the ingest blob really print."""
    import contextlib
    import io

    from webhook_to_track import observability

    plain: set[str] = set()
    with_reason: set[str] = set()
    for module in ("observability.py", "queue/consumer.py"):
        tree = ast.parse((ROOT / "src" / "webhook_to_track" / module).read_text("utf-8"))
        for node in ast.walk(tree):
            names, reasons = metric_names(node)
            plain |= names
            with_reason |= reasons

    def printed(emit: Any) -> set[frozenset[str]]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            emit()
        (blob,) = [json.loads(line) for line in out.getvalue().splitlines() if '"_aws"' in line]
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == OUR_NAMESPACE
        return {frozenset(dimensions) for dimensions in directive["Dimensions"]}

    def ingest_blob() -> None:
        observation = observability.Observation("request-id")
        observation.identify("stripe")
        observation.finished(202, {"status": "accepted", "queued": [], "rejected": []})
        observability.metrics.flush_metrics()

    per_source = printed(lambda: observability.emit_counts({"Forwarded": 1}, source="stripe"))
    assert printed(ingest_blob) == per_source
    by_reason = printed(
        lambda: observability.emit_counts({"Rejected": 1}, source="stripe", reason="x")
    )
    assert per_source == {frozenset({"service", "source"}), frozenset({"service"})}
    assert plain >= {"Received", "Accepted", "Forwarded", "CallParked", "Deferred429"}
    assert with_reason == {"Rejected", "ShadowRejected"}
    return {
        **dict.fromkeys(plain, per_source),
        **dict.fromkeys(with_reason, by_reason),
    }


def dashboard_metrics() -> list[tuple[str, str, frozenset[str], dict[str, str]]]:
    """(namespace, metric, dimension names, dimension values) of every metric the dashboard
    graphs: plain metric arrays and the metrics SEARCH expressions select."""
    import re

    found: list[tuple[str, str, frozenset[str], dict[str, str]]] = []
    for widget in dashboard_body()["widgets"]:
        for metric in widget.get("properties", {}).get("metrics", []):
            parts = [part for part in metric if not isinstance(part, dict)]
            for options in (part for part in metric if isinstance(part, dict)):
                expression = options.get("expression", "")
                for schema, names in re.findall(r"SEARCH\('\{([^}]*)\} ([^']*)'", expression):
                    namespace, *dimensions = schema.split(",")
                    for name in re.findall(r'MetricName="(\w+)"', names):
                        found.append((namespace, name, frozenset(dimensions), {}))
            if parts:
                namespace, name, *pairs = parts
                values = dict(zip(pairs[::2], pairs[1::2], strict=True))
                found.append((namespace, name, frozenset(values), values))
    return found


def test_dashboard_graphs_only_metrics_the_code_emits_with_their_dimensions():
    emitted = emitted_metrics()
    ours = [m for m in dashboard_metrics() if m[0] == OUR_NAMESPACE]
    assert len(ours) >= 20
    for _, name, dimensions, values in ours:
        assert name in emitted, name
        assert dimensions in emitted[name], (name, sorted(dimensions))
        if "service" in values:
            assert values["service"] == SERVICE, name
    shown = {name for _, name, _, _ in ours}
    # Every ingest outcome and every forwarder outcome is on it.
    assert shown >= {"Received", "Accepted", "Ignored", "Duplicate", "Rejected", "QueueFailed"}
    assert shown >= {"Forwarded", "ForwardRetried", "CallParked", "ForwardAmbiguous", "Deferred429"}
    per_source = {name for _, name, dimensions, _ in ours if "source" in dimensions}
    assert per_source >= {"Accepted", "Rejected", "Forwarded", "CallParked"}


def test_dashboard_watches_both_queues_and_both_functions():
    aws = {
        (namespace, name, json.dumps(values)) for namespace, name, _, values in dashboard_metrics()
    }
    for queue in ("ForwardQueue", "ForwardDLQ"):
        for name in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"):
            values = json.dumps({"QueueName": f"<{queue}.QueueName>"})
            assert ("AWS/SQS", name, values) in aws, (queue, name)
    for function_id in HANDLERS:
        for name in ("Errors", "Throttles", "Duration"):
            assert ("AWS/Lambda", name, json.dumps({"FunctionName": f"<{function_id}>"})) in aws


def test_dashboard_log_queries_read_the_ingest_log_for_messages_the_code_logs():
    import re

    source = "\n".join(
        path.read_text("utf-8") for path in (ROOT / "src" / "webhook_to_track").rglob("*.py")
    )
    queries = [
        widget["properties"]["query"]
        for widget in dashboard_body()["widgets"]
        if widget["type"] == "log"
    ]
    assert any("SOURCE '<IngestFunctionLogGroup>'" in query for query in queries)
    assert any("delivery refused" in query and "call rejected" in query for query in queries)
    for query in queries:
        for message in re.findall(r'"([^"]+)"', query):
            assert f'"{message}"' in source, message
        for pattern in re.findall(r"message like /([^/]+)/", query):
            assert re.search(rf'logger\.\w+\(\s*"[^"]*{pattern}', source), pattern


def test_dashboard_url_is_an_output():
    url = TEMPLATE["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert "#dashboards:name=${Dashboard}" in url
    assert "region=${AWS::Region}" in url
