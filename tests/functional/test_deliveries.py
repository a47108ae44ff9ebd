"""``deliveries show`` and ``deliveries list`` on what the real handlers left behind: a signed
delivery goes through the real ingest handler and the real forwarder (moto's DynamoDB and
SQS, the Userpilot stand-in on 127.0.0.1), then the commands read its records and dead
letters with plain boto3 clients, as they would on the deployed stack."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from tests.factories import (
    ROOT,
    STRIPE_SECRET,
    VEHICLE_PAYLOADS,
    VEHICLE_SOURCES,
    deployed,
    make_event,
    payload,
    secrets_json,
    stripe_payload,
)
from tests.functional.conftest import TABLE
from tests.userpilot_stub import Reply
from webhook_to_track.cli import main, signed_event
from webhook_to_track.idempotency import (
    CALL_PREFIX,
    DELIVERY_PREFIX,
    DRY_RUN_CALL_PREFIX,
    call_config,
    delivery_config,
)
from webhook_to_track.local.deliveries import call_record_id, delivery_record_id
from webhook_to_track.local.events import sample_headers
from webhook_to_track.local.reset import reset_caches
from webhook_to_track.models import DeliveryKey
from webhook_to_track.registry import load_registry
from webhook_to_track.settings import SEVEN_DAYS

DELIVERY = "evt_1PqR7sLkdIwHu7ix0aBcDeFg"  # the invoice.paid sample's id
INVOICE_KEY = f"stripe:{DELIVERY}:stripe.invoice_paid:0"
RENEWAL_KEY = f"stripe:{DELIVERY}:stripe.invoice_paid:1"
REFUSED = Reply(400, body={"errors": [{"message": "user not found"}]})
ACCEPTED = Reply(202, body={"status": "accepted"})
GITHUB_SECRET = "github-secret-for-the-deliveries-tests"


def where(queues: Any) -> list[str]:
    return ["--table", TABLE, "--queue-url", queues.queue_url, "--dlq-url", queues.dlq_url]


def show(queues: Any, *extra: str, delivery: str = DELIVERY) -> list[str]:
    return ["deliveries", "show", "stripe", delivery, *where(queues), *extra]


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the command alone (the handlers' EMF lines dropped)."""
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def shown(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """``deliveries show ... --json``, parsed (it must succeed)."""
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def call_row(out: str, key: str) -> str:
    """The row of the "Calls:" table for ``key``."""
    calls = out.split("\nCalls:\n", 1)[1].split("\n\n", 1)[0]
    (row,) = [line for line in calls.splitlines() if line.strip().startswith(key)]
    return row


def dynamodb() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


def record_ids(prefix: str) -> set[str]:
    items = dynamodb().scan(TableName=TABLE)["Items"]
    return {item["id"]["S"] for item in items if item["id"]["S"].split("#", 1)[0] == prefix}


def github_event() -> dict[str, Any]:
    """The github issues.opened sample, signed now with this file's test secret."""
    path = VEHICLE_PAYLOADS / "github" / "issues.opened.json"  # the tests' own github
    source = load_registry(VEHICLE_SOURCES).get("github")
    return signed_event(
        source, path.read_bytes(), GITHUB_SECRET, int(time.time()), sample_headers(path)
    )


@pytest.fixture
def two_sources(env):
    env(SECRETS_JSON=secrets_json(stripe=[STRIPE_SECRET], github=[GITHUB_SECRET]))


# --- show -------------------------------------------------------------------------------------


def test_show_finds_a_delivered_delivery_and_each_call_delivered(deliver, queues, capsys):
    answer, forwarded = deliver(make_event())
    assert (answer.status, forwarded.failures) == (202, 0)

    code, out, _ = run(capsys, show(queues))

    assert code == 0
    assert out.startswith(
        f"Delivery stripe {DELIVERY}: accepted (202): 2 calls queued, 0 rejected by the rules\n"
    )
    assert "  record   COMPLETED, recorded " in out
    assert "rules    matched stripe.invoice_paid" in out
    assert call_row(out, INVOICE_KEY).split()[1:] == ["track", "invoice_paid", "delivered", "(202)"]
    assert call_row(out, RENEWAL_KEY).endswith("delivered (202)")
    assert f"No dead letters for this delivery in {queues.dlq_url}." in out


def test_a_call_userpilot_refused_shows_as_its_dead_letter(deliver, userpilot, queues, capsys):
    userpilot.script(ACCEPTED, REFUSED)  # the first call goes through, the second is parked
    deliver(make_event())

    code, out, _ = run(capsys, show(queues))

    assert code == 0
    assert call_row(out, INVOICE_KEY).endswith("delivered (202)")
    assert call_row(out, RENEWAL_KEY).endswith("parked: rejected 400")
    dead = out.split("Dead letters (1 in ")[1]
    (row,) = [line for line in dead.splitlines() if RENEWAL_KEY in line]
    assert row.split()[1:3] == ["rejected", "400"]
    assert row.endswith("user not found")


def test_json_has_the_record_the_calls_and_the_dead_letters(deliver, userpilot, queues, capsys):
    userpilot.script(ACCEPTED, REFUSED)
    deliver(make_event())

    document = shown(capsys, *show(queues))

    assert document["found"] is True
    assert document["record"]["id"] == delivery_record_id("stripe", DELIVERY)
    assert document["record"]["status"] == "COMPLETED"
    assert document["record"]["expired"] is False
    recorded = datetime.fromisoformat(document["record"]["recorded_at"])
    assert abs((datetime.now(UTC) - recorded).total_seconds()) < 60
    assert document["summary"]["status"] == "accepted"
    invoice, renewal = sorted(document["calls"], key=lambda call: call["key"])
    assert (invoice["key"], invoice["kind"], invoice["name"]) == (
        INVOICE_KEY,
        "track",
        "invoice_paid",
    )
    assert invoice["record"]["status"] == "COMPLETED"
    assert invoice["record"]["answer"]["status"] == 202
    assert invoice["dry_run_record"] is None
    assert invoice["dead_letters"] == []
    assert renewal["record"] is None  # Powertools deletes the record of a failed send
    (letter,) = renewal["dead_letters"]
    assert (letter["reason"], letter["status"], letter["error"]) == (
        "rejected",
        400,
        "user not found",
    )
    assert [d["key"] for d in document["dead_letters"]] == [RENEWAL_KEY]
    assert document["rejected"] == []
    assert document["dead_letters_read"] is True


def test_the_report_holds_no_payload_values(deliver, userpilot, queues, capsys):
    """The dead letter's body holds the call (user id, metadata): the report shows its key,
    reason and Userpilot's answer only."""
    userpilot.always(REFUSED)
    deliver(make_event())

    code, text, _ = run(capsys, show(queues))
    assert code == 0
    code, document, _ = run(capsys, [*show(queues), "--json"])
    assert code == 0

    out = text + document
    assert "user not found" in out
    assert "Jane.Doe@Example.com".lower() not in out.lower()
    assert '"body"' not in out
    assert '"metadata"' not in out


def test_a_dry_run_says_shown_not_sent(deliver, env, queues, capsys):
    env(FORWARD_MODE="dry-run")
    deliver(make_event())

    document = shown(capsys, *show(queues))

    assert {call["outcome"] for call in document["calls"]} == {"dry run: shown, not sent"}
    assert all(call["record"] is None for call in document["calls"])
    assert all(call["dry_run_record"]["status"] == "COMPLETED" for call in document["calls"])


def test_calls_not_forwarded_yet_say_so_with_the_queue_depth(invoke, queues, capsys):
    assert invoke(make_event()).status == 202  # queued, the forwarder has not run

    code, out, _ = run(capsys, show(queues))

    assert code == 0
    assert call_row(out, INVOICE_KEY).endswith(
        "no record: waiting in the forward queue, retrying, or never forwarded"
    )
    assert "The forward queue holds 2 waiting, 0 in flight and 0 delayed calls" in out


def test_without_a_dlq_url_dead_letters_are_not_read(deliver, capsys):
    deliver(make_event())

    code, out, _ = run(capsys, ["deliveries", "show", "stripe", DELIVERY, "--table", TABLE])

    assert code == 0
    assert "Dead letters: not read (give --dlq-url, or --stack)." in out


def test_an_ignored_delivery_says_why(invoke, queues, capsys):
    body = stripe_payload(id="evt_ignored_1", type="customer.unknown_event")
    assert invoke(make_event(body)).status == 200

    code, out, _ = run(capsys, show(queues, delivery="evt_ignored_1"))

    assert code == 0
    assert out.startswith("Delivery stripe evt_ignored_1: ignored (200): no rule matched\n")
    assert "Calls:" not in out


def test_an_unknown_delivery_is_exit_1_with_a_message(deliver, queues, capsys):
    deliver(make_event())

    code, out, err = run(capsys, show(queues, delivery="evt_never_sent"))

    assert code == 1
    assert out == ""
    assert err.startswith(
        f"webhook-to-track deliveries: no record of delivery stripe evt_never_sent in {TABLE}:"
    )
    assert "older than the 7-day window" in err
    assert "Traceback" not in err


def test_an_unknown_delivery_in_json_is_exit_1_and_found_false(aws, queues, capsys):
    code, out, _ = run(capsys, [*show(queues, delivery="evt_never_sent"), "--json"])

    assert code == 1
    document = json.loads(out)
    assert (document["found"], document["record"], document["calls"]) == (False, None, [])


def test_a_dlq_url_without_a_table_is_a_clear_error(aws, queues, capsys):
    argv = ["deliveries", "show", "stripe", DELIVERY, "--dlq-url", queues.dlq_url]

    code, _, err = run(capsys, argv)

    assert code == 2
    assert "webhook-to-track deliveries: --table is missing" in err


def test_a_table_that_does_not_exist_is_one_line(aws, capsys):
    code, _, err = run(capsys, ["deliveries", "show", "stripe", DELIVERY, "--table", "nope"])

    assert code == 2
    assert err.startswith("webhook-to-track deliveries: AWS refused: ResourceNotFoundException")
    assert "Traceback" not in err


def test_dead_letters_outlive_the_delivery_record_and_are_still_shown(
    deliver, userpilot, queues, capsys
):
    """Records last 7 days, dead letters 14: a parked call is found without its record."""
    userpilot.always(REFUSED)
    deliver(make_event())
    key = {"id": {"S": delivery_record_id("stripe", DELIVERY)}}
    dynamodb().delete_item(TableName=TABLE, Key=key)  # as DynamoDB's TTL would

    code, out, _ = run(capsys, show(queues))

    assert code == 0
    assert out.startswith(f"Delivery stripe {DELIVERY}: no delivery record (expired, or never")
    assert call_row(out, INVOICE_KEY).endswith("parked: rejected 400")
    assert call_row(out, RENEWAL_KEY).endswith("parked: rejected 400")


# --- the record ids are Powertools' own -------------------------------------------------------


def test_the_delivery_and_call_record_ids_are_the_ones_powertools_wrote(deliver, env):
    deliver(make_event())

    assert record_ids(DELIVERY_PREFIX) == {delivery_record_id("stripe", DELIVERY)}
    assert record_ids(CALL_PREFIX) == {
        call_record_id(CALL_PREFIX, INVOICE_KEY),
        call_record_id(CALL_PREFIX, RENEWAL_KEY),
    }
    env(FORWARD_MODE="dry-run")
    reset_caches()  # a new container reads the new setting
    deliver(make_event(stripe_payload(id="evt_dry_1")))
    assert len(record_ids(DRY_RUN_CALL_PREFIX)) == 2
    assert call_record_id(DRY_RUN_CALL_PREFIX, "stripe:evt_dry_1:stripe.invoice_paid:0") in (
        record_ids(DRY_RUN_CALL_PREFIX)
    )


def test_the_ids_match_powertools_key_function(aws):
    """The same ids from Powertools' own key function, configured as the functions are."""
    delivery = DynamoDBPersistenceLayer(table_name=TABLE, boto3_client=aws)
    delivery.configure(delivery_config(SEVEN_DAYS), key_prefix=DELIVERY_PREFIX)
    calls = DynamoDBPersistenceLayer(table_name=TABLE, boto3_client=aws)
    calls.configure(call_config(3600), key_prefix=CALL_PREFIX)

    for source, delivery_id in [("stripe", DELIVERY), ("github", "a:b"), ("x", "é ü")]:
        data = asdict(DeliveryKey(source, delivery_id))
        assert delivery._get_hashed_idempotency_key(data) == delivery_record_id(source, delivery_id)
    for key in [INVOICE_KEY, "shopify:1:shopify.order:items.0", "x:é:r:0"]:
        assert calls._get_hashed_idempotency_key({"key": key, "v": 1}) == call_record_id(
            CALL_PREFIX, key
        )


# --- the deployed stack -----------------------------------------------------------------------


def test_with_stack_the_outputs_name_the_table_and_queues(
    deliver, userpilot, queues, cloudformation, capsys
):
    userpilot.always(REFUSED)
    deliver(make_event())
    cloudformation.add_response(
        "describe_stacks",
        deployed(
            "live",
            IdempotencyTableName=TABLE,
            ForwardQueueUrl=queues.queue_url,
            ForwardDLQUrl=queues.dlq_url,
            IdempotencyWindowSeconds="86400",
        ),
        {"StackName": "live"},
    )

    document = shown(capsys, "deliveries", "show", "stripe", DELIVERY, "--stack", "live")

    assert document["table"] == TABLE
    assert document["dlq_url"] == queues.dlq_url
    assert len(document["dead_letters"]) == 2
    expires = datetime.fromisoformat(document["record"]["expires_at"])
    recorded = datetime.fromisoformat(document["record"]["recorded_at"])
    # The window the stack says (one day), not the 7-day default, separates the two times
    # (the record itself was written with the template's 7 days).
    assert (expires - recorded).total_seconds() == 86400
    assert abs((expires - datetime.now(UTC)).total_seconds() - SEVEN_DAYS) < 60


def test_a_stack_without_a_table_output_is_a_clear_error(aws, cloudformation, capsys):
    cloudformation.add_response(
        "describe_stacks", deployed("old", ForwardQueueUrl="q"), {"StackName": "old"}
    )

    code, _, err = run(capsys, ["deliveries", "list", "--stack", "old"])

    assert code == 2
    assert "has no output IdempotencyTableName" in err


# --- list -------------------------------------------------------------------------------------


def backdate(source: str, delivery_id: str, seconds: int) -> None:
    """Make a delivery record look ``seconds`` older (its expiry moves back as much)."""
    key = {"id": {"S": delivery_record_id(source, delivery_id)}}
    item = dynamodb().get_item(TableName=TABLE, Key=key)["Item"]
    dynamodb().update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET expiration = :e",
        ExpressionAttributeValues={":e": {"N": str(int(item["expiration"]["N"]) - seconds)}},
    )


@pytest.fixture
def three_deliveries(invoke, two_sources) -> str:
    """stripe evt_old (3 hours ago), stripe evt_new and one github delivery (now): its id."""
    for delivery_id in ("evt_old", "evt_new"):
        assert invoke(make_event(stripe_payload(id=delivery_id))).status == 202
    answer = invoke(github_event())
    assert answer.status == 202
    backdate("stripe", "evt_old", 3 * 3600)
    return str(answer.body["delivery_id"])


def listed(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    code, out, _ = run(capsys, ["deliveries", "list", "--table", TABLE, "--json", *extra])
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    return document


def test_list_shows_every_delivery_most_recent_first(three_deliveries, capsys):
    code, out, _ = run(capsys, ["deliveries", "list", "--table", TABLE])

    assert code == 0
    header, *rows = out.split("\n\n")[0].splitlines()
    assert header.split() == ["SOURCE", "DELIVERY", "ID", "STATUS", "RECORDED", "AGE", "CALLS"]
    assert len(rows) == 3
    assert rows[-1].split()[:3] == ["stripe", "evt_old", "COMPLETED"]
    assert rows[-1].split()[4] == "3h"
    assert rows[-1].endswith("2 queued, 0 rejected")
    assert {row.split()[0] for row in rows} == {"stripe", "github"}
    assert f"3 deliveries in {TABLE}, most recent first" in out


def test_list_filters_by_source(three_deliveries, capsys):
    document = listed(capsys, "--source", "github")

    assert [(d["source"], d["delivery_id"]) for d in document["deliveries"]] == [
        ("github", three_deliveries)
    ]
    assert document["deliveries"][0]["status"] == "COMPLETED"


def test_list_stops_at_limit_keeping_the_most_recent(three_deliveries, capsys):
    document = listed(capsys, "--limit", "2")

    assert document["count"] == 2
    assert "evt_old" not in {d["delivery_id"] for d in document["deliveries"]}


def test_list_since_leaves_out_older_deliveries(three_deliveries, capsys):
    document = listed(capsys, "--since", "1h", "--source", "stripe")

    assert [d["delivery_id"] for d in document["deliveries"]] == ["evt_new"]
    row = document["deliveries"][0]
    assert (row["outcome"], row["queued"], row["rejected"]) == ("accepted", 2, 0)
    assert row["record_id"] == delivery_record_id("stripe", "evt_new")


def test_list_of_an_empty_table_says_so(aws, capsys):
    code, out, _ = run(capsys, ["deliveries", "list", "--table", TABLE])

    assert code == 0
    assert out == f"No delivery records in {TABLE}.\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--limit", "0"], "--limit must be at least 1"),
        (["--since", "yesterday"], "--since: 'yesterday' is neither"),
    ],
)
def test_list_refuses_bad_options(aws, capsys, extra, message):
    code, _, err = run(capsys, ["deliveries", "list", "--table", TABLE, *extra])

    assert code == 2
    assert message in err


def test_list_pages_are_bounded(invoke):
    """A scan reads at most max_pages pages, and says when it stopped early."""
    from webhook_to_track.local.deliveries import list_deliveries

    for number in range(3):
        assert invoke(make_event(stripe_payload(id=f"evt_page_{number}"))).status == 202

    stopped = list_deliveries(dynamodb(), TABLE, page_items=1, max_pages=2)
    whole = list_deliveries(dynamodb(), TABLE, page_items=1, max_pages=100)

    assert (stopped.truncated, stopped.scanned) == (True, 2)
    assert (whole.truncated, len(whole.rows)) == (False, 3)


def test_an_all_rejected_delivery_lists_the_rules_reasons(invoke, queues, capsys):
    document = json.loads(payload("stripe", "invoice.paid"))
    document["id"] = "evt_no_user"
    document["data"]["object"]["metadata"] = {}
    document["data"]["object"]["subscription_details"]["metadata"] = {}
    assert invoke(make_event(json.dumps(document).encode())).status == 202

    code, out, _ = run(capsys, show(queues, delivery="evt_no_user"))

    assert code == 0
    assert out.startswith("Delivery stripe evt_no_user: accepted (202): 0 calls queued, 2 rejected")
    assert "Calls:" not in out
    rejected = out.split("Rejected by the rules (never queued):\n")[1].split("\n\n")[0]
    header, *rows = rejected.splitlines()
    assert header.split() == ["RULE", "EVENT", "NAME", "REASON"]
    assert len(rows) == 2
    assert all(row.split()[0] == "stripe.invoice_paid" for row in rows)
    assert all("no user id in the payload" in row for row in rows)


# --- the README's Logs Insights queries -------------------------------------------------------


def readme_queries() -> list[str]:
    """The query blocks (fences without a language) of the README's "Follow one delivery"."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n## Follow one delivery\n", 1)[1].split("\n## ", 1)[0]
    blocks: list[tuple[str, list[str]]] = []
    inside = False
    for line in section.splitlines():
        if line.startswith("```"):
            if not inside:
                blocks.append((line[3:].strip(), []))
            inside = not inside
        elif inside:
            blocks[-1][1].append(line)
    return ["\n".join(lines) for language, lines in blocks if not language]


def query_fields(query: str) -> set[str]:
    """The log fields a query names (not Logs Insights' own @fields)."""
    names: set[str] = set()
    for line in query.splitlines():
        command, _, rest = line.lstrip("| ").partition(" ")
        if command == "fields":
            names |= {name.strip(" `") for name in rest.split(",")}
        elif command == "filter":
            names |= set(re.findall(r"`?(\w+)`? (?:=|in|like) ", rest))
        elif command == "stats":
            grouped = rest.split(" by ", 1)[1]
            names |= {n.strip(" `") for n in grouped.split(",") if "(" not in n}
    return {name for name in names if not name.startswith("@")}


@pytest.fixture
def logged_keys(deliver, invoke, userpilot, log_lines) -> set[str]:
    """Every key the functions' log lines carried: an accepted delivery with a parked call, a
    bad signature, and a delivery whose calls the rules rejected."""
    userpilot.script(ACCEPTED, REFUSED)
    deliver(make_event())
    assert invoke(make_event(signature="t=1,v1=00")).status == 401
    document = json.loads(payload("stripe", "invoice.paid"))
    document["id"] = "evt_no_user"
    document["data"]["object"]["metadata"] = {}
    document["data"]["object"]["subscription_details"]["metadata"] = {}
    assert invoke(make_event(json.dumps(document).encode())).status == 202
    return {key for line in log_lines() for key in line}


def test_the_readme_queries_name_only_fields_the_functions_log(logged_keys):
    queries = readme_queries()
    assert len(queries) >= 5

    for query in queries:
        assert query_fields(query) <= logged_keys, query
    assert {"source", "delivery_id", "correlation_id", "call_key", "rule"} <= logged_keys


def test_the_readme_queries_name_only_messages_the_code_logs():
    code = "\n".join(
        path.read_text("utf-8") for path in (ROOT / "src" / "webhook_to_track").rglob("*.py")
    )
    messages = 0
    for query in readme_queries():
        for listed in re.findall(r"message (?:=|in) \[?([^\]\n|]+)", query):
            for message in re.findall(r'"([^"]+)"', listed):
                messages += 1
                assert re.search(rf'\w\(\s*"{re.escape(message)}"', code), message
        for pattern in re.findall(r"message like /([^/]+)/", query):
            messages += 1
            assert re.search(rf'logger\.\w+\(\s*"[^"]*{pattern}', code), pattern
    assert messages >= 6
