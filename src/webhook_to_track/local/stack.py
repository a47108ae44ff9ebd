"""Where the forward queue and its dead-letter queue are: given URLs, or a stack's outputs.

``dlq list`` and ``replay`` work on the deployed stack (its ``ForwardQueueUrl`` and
``ForwardDLQUrl`` outputs, found with CloudFormation ``DescribeStacks``; the stack name is
``--stack``, else ``stack_name`` in samconfig.toml) or on the local stand-in: a moto server
(``moto_server``, or moto's ``ThreadedMotoServer``) reached with ``--endpoint-url``, and the
queue URLs given with ``--queue-url`` and ``--dlq-url``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

QUEUE_OUTPUT: Final = "ForwardQueueUrl"
DLQ_OUTPUT: Final = "ForwardDLQUrl"
SAMCONFIG: Final = "samconfig.toml"
LOCAL_REGION: Final = "us-east-1"
LOCAL_CREDENTIALS: Final = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
"""What a local moto server is sent when no credentials are configured (it checks none)."""


class StackError(Exception):
    """The queues cannot be found: the message says what to pass or deploy."""


@dataclass(frozen=True, slots=True)
class ForwardQueues:
    queue_url: str
    dlq_url: str
    stack: str | None = None
    """The stack whose outputs named the queues, or None when the URLs were given."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Which AWS to talk to: a region, and a local server's URL or None for AWS itself."""

    region: str | None = None
    endpoint_url: str | None = None

    def client(self, service: str) -> Any:
        """A boto3 client; for a local server, region and credentials default to fake ones."""
        import boto3

        session = boto3.session.Session()
        options: dict[str, Any] = {}
        region = self.region or (LOCAL_REGION if self.endpoint_url else None)
        if self.region or (region and not session.region_name):
            options["region_name"] = region
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
            if session.get_credentials() is None:
                options.update(LOCAL_CREDENTIALS)
        # boto3's stubs type client() per literal service name; this one takes any.
        create: Any = session.client
        return create(service, **options)


def stack_name_from_samconfig(path: Path, config_env: str = "default") -> str | None:
    """``stack_name`` of ``[<env>.global.parameters]``, else of ``[<env>.deploy.parameters]``
    (where ``sam deploy --config-env`` reads it); None when the file or the key is absent.

    Raises:
        StackError: the file is not valid TOML.
    """
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StackError(f"{path}: not valid TOML ({exc})") from None
    environment = document.get(config_env)
    if not isinstance(environment, dict):
        return None
    for command in ("global", "deploy"):
        parameters = environment.get(command, {}).get("parameters", {})
        name = parameters.get("stack_name") if isinstance(parameters, dict) else None
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


@dataclass(frozen=True, slots=True)
class StackOutputs:
    name: str
    status: str
    outputs: dict[str, str]


def stack_outputs(cloudformation: Any, stack: str) -> StackOutputs:
    """The stack's status and outputs (key -> value).

    Raises:
        StackError: no such stack (in this account and region), or CloudFormation refused.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        message = str(error.get("Message") or exc)
        if "does not exist" in message:
            region = cloudformation.meta.region_name
            raise StackError(
                f"no stack named {stack!r} in {region}: deploy it (sam deploy), pass --stack "
                "and --region, or give --queue-url and --dlq-url"
            ) from None
        raise StackError(
            f"CloudFormation refused DescribeStacks for {stack!r}: {message}"
        ) from None
    except BotoCoreError as exc:
        raise StackError(f"could not ask CloudFormation about {stack!r}: {exc}") from None
    if not stacks:
        raise StackError(f"no stack named {stack!r}")
    found = stacks[0]
    outputs = {
        str(output["OutputKey"]): str(output["OutputValue"])
        for output in found.get("Outputs", [])
        if "OutputKey" in output and "OutputValue" in output
    }
    return StackOutputs(stack, str(found.get("StackStatus", "?")), outputs)


def named_stack_outputs(
    stack: str | None,
    cloudformation: Callable[[], Any],
    samconfig: Path,
    config_env: str,
    *,
    otherwise: str,
) -> StackOutputs:
    """The outputs of ``stack``, or of samconfig's stack for ``config_env``.

    Raises:
        StackError: no stack name anywhere (``otherwise`` says what to give instead), or no
            such stack.
    """
    name = stack or stack_name_from_samconfig(samconfig, config_env)
    if not name:
        raise StackError(
            f"no stack name: pass --stack, set stack_name in {samconfig} "
            f"[{config_env}.global.parameters], or give {otherwise}"
        )
    return stack_outputs(cloudformation(), name)


def resolve_queues(
    *,
    queue_url: str | None,
    dlq_url: str | None,
    stack: str | None,
    cloudformation: Callable[[], Any],
    samconfig: Path = Path(SAMCONFIG),
    config_env: str = "default",
) -> ForwardQueues:
    """Both URLs when given (no AWS call), else the named (or samconfig's) stack's outputs.

    Raises:
        StackError: one URL without the other, no stack name, no stack, or missing outputs.
    """
    if queue_url or dlq_url:
        if not (queue_url and dlq_url):
            missing = "--dlq-url" if queue_url else "--queue-url"
            raise StackError(f"{missing} is missing: give both queue URLs, or neither")
        if stack:
            raise StackError("give either --stack or the queue URLs, not both")
        return ForwardQueues(queue_url, dlq_url)
    found = named_stack_outputs(
        stack, cloudformation, samconfig, config_env, otherwise="--queue-url and --dlq-url"
    )
    name, outputs = found.name, found.outputs
    absent = [key for key in (QUEUE_OUTPUT, DLQ_OUTPUT) if not outputs.get(key)]
    if absent:
        raise StackError(
            f"stack {name!r} ({found.status}) has no output {' or '.join(absent)}: deploy the "
            "current template (sam deploy), or give --queue-url and --dlq-url"
        )
    return ForwardQueues(outputs[QUEUE_OUTPUT], outputs[DLQ_OUTPUT], name)
