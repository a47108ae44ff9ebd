"""AwsErrors: what AWS or the stack lookup says becomes one line for the user, no traceback."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, NoRegionError

from webhook_to_track.cli.common import AwsErrors, CommandError
from webhook_to_track.local.stack import StackError


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (StackError("2 records stayed unread"), "2 records stayed unread"),
        (NoRegionError(), "no AWS region: pass --region or set AWS_REGION"),
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Scan"),
            "AWS refused: AccessDenied: no",
        ),
    ],
)
def test_each_becomes_a_command_error_with_one_line(raised, said):
    with pytest.raises(CommandError) as caught, AwsErrors():
        raise raised

    assert str(caught.value) == said
    assert caught.value.__suppress_context__


def test_other_errors_pass_through():
    with pytest.raises(KeyError), AwsErrors():
        raise KeyError("not AWS")
