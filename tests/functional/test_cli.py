"""The webhook-to-track command, run in-process as a user would from the repository root."""

from __future__ import annotations

import json
import shlex
import time

import pytest

from tests.factories import ROOT, payload
from webhook_to_track.cli import main
from webhook_to_track.local.template import function_environment, load_template
from webhook_to_track.signatures import StripeVerifier
from webhook_to_track.signing_keys import parse_secrets_document

EVENTS = ROOT / "events"


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def local_secret() -> str:
    environment = function_environment(
        load_template(ROOT / "template.yaml"), json.loads((ROOT / "env.json").read_text())
    )
    return parse_secrets_document(json.loads(environment["SECRETS_JSON"])).for_source("stripe")[0]


def test_invoke_fresh_sample_prints_202_and_the_userpilot_requests(capsys):
    code = main(["invoke", "--fresh", "events/stripe/invoice.paid.json"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Lambda response: 202\n")
    assert (
        "Userpilot request 1 of 2 (dry run: not sent)\nPOST https://analytex.userpilot.io/v1/track"
        in out
    )
    assert "Authorization: Token ***" in out
    assert "X-API-Version: 2020-09-22" in out
    assert '"event_name": "invoice_paid"' in out
    assert '"event_name": "subscription_renewed"' in out
    assert "up_local_test_key" not in out  # the key is redacted
    assert '"level"' not in out  # logs went to stderr


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (EVENTS / "stripe").glob("*.json") if p.name != "bad-signature.json"),
)
def test_every_sample_event_is_accepted_when_fresh(capsys, name):
    assert main(["invoke", "--fresh", f"events/stripe/{name}"]) == 0
    assert capsys.readouterr().out.startswith("Lambda response: 202")


def test_bad_signature_sample_is_401(capsys):
    assert main(["invoke", "events/stripe/bad-signature.json"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Lambda response: 401")
    assert '"code": "signature_mismatch"' in out


def test_stale_sample_without_fresh_is_401(capsys, tmp_path):
    event = json.loads((EVENTS / "stripe" / "invoice.paid.json").read_text())
    stale = int(time.time()) - 3600
    event["headers"].update(
        StripeVerifier.sign(payload("stripe", "invoice.paid"), local_secret(), stale)
    )
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(event))

    assert main(["invoke", str(path)]) == 1
    assert '"code": "timestamp_out_of_tolerance"' in capsys.readouterr().out


def test_sign_prints_an_event_the_handler_accepts(capsys, tmp_path):
    assert main(["sign", "stripe", "events/payloads/stripe/checkout.session.completed.json"]) == 0
    event_file = tmp_path / "event.json"
    event_file.write_text(capsys.readouterr().out)

    event = json.loads(event_file.read_text())
    assert event["headers"]["stripe-signature"].startswith("t=")
    assert event["body"].encode() == payload("stripe", "checkout.session.completed")
    assert main(["invoke", str(event_file)]) == 0
    assert '"event_name": "checkout_subscription_completed"' in capsys.readouterr().out


def test_sign_with_an_explicit_secret_and_timestamp_as_curl(capsys):
    assert (
        main(
            [
                "sign",
                "stripe",
                "events/payloads/stripe/invoice.paid.json",
                "--secret",
                "whsec_abc",
                "--timestamp",
                "1700000000",
                "--format",
                "curl",
                "--url",
                "https://x.test/webhooks/stripe",
            ]
        )
        == 0
    )

    words = shlex.split(capsys.readouterr().out)
    expected = StripeVerifier.sign(payload("stripe", "invoice.paid"), "whsec_abc", 1700000000)
    assert words[:5] == ["curl", "-sS", "-X", "POST", "https://x.test/webhooks/stripe"]
    assert f"stripe-signature: {expected['stripe-signature']}" in words
    assert words[-1] == "@events/payloads/stripe/invoice.paid.json"


def test_events_refreshes_every_sample_plus_a_bad_signature(capsys, tmp_path):
    (tmp_path / "payloads").symlink_to(EVENTS / "payloads")

    assert main(["events", "--events-dir", str(tmp_path)]) == 0

    written = sorted(p.name for p in (tmp_path / "stripe").glob("*.json"))
    samples = sorted(p.name for p in (EVENTS / "payloads" / "stripe").glob("*.json"))
    assert written == sorted([*samples, "bad-signature.json"])
    assert "valid for 5 s for paddle, up to 300 s for the others" in capsys.readouterr().out
    event = json.loads((tmp_path / "stripe" / "invoice.paid.json").read_text())
    StripeVerifier([local_secret()]).verify(event["body"].encode(), event["headers"])


def test_committed_events_are_http_api_shaped():
    for path in (EVENTS / "stripe").glob("*.json"):
        event = json.loads(path.read_text())
        assert event["version"] == "2.0"
        assert event["routeKey"] == "POST /webhooks/{source}"
        assert event["pathParameters"] == {"source": "stripe"}
        assert all(name == name.lower() for name in event["headers"])
        assert event["requestContext"]["http"]["method"] == "POST"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["invoke", "events/nope.json"], "no such file"),
        (["sign", "nosuch", "events/payloads/stripe/invoice.paid.json"], "unknown source 'nosuch'"),
        (
            ["invoke", "--env", "BROKEN", "events/stripe/invoice.paid.json"],
            "--env takes NAME=VALUE",
        ),
    ],
)
def test_bad_input_is_a_clear_error_not_a_traceback(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# --- rules check | try | events -------------------------------------------------------------------


def write_source(directory, name, document):
    (directory / f"{name}.json").write_text(json.dumps(document))


def payload_at(directory, document):
    """A payload file outside the sources folder."""
    path = directory.parent / f"{directory.name}-payload.json"
    path.write_text(json.dumps(document))
    return path


GOOD = {
    "signature": {"preset": "stripe"},
    "rules": [
        {
            "id": "paid",
            "match": {"type": ["invoice.paid"], "data.amount": [{"numeric": [">", 0]}]},
            "events": [{"event_name": "invoice_paid", "user_id": {"path": "data.user"}}],
        }
    ],
}


def test_rules_check_passes_on_the_shipped_files(capsys):
    assert main(["rules", "check"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_rules_check_lists_every_problem_with_its_pointer(capsys, tmp_path):
    write_source(tmp_path, "good", GOOD)
    broken = {
        **GOOD,
        "rules": [{"id": "x", "match": {"type": "a"}, "events": [{"event_name": "e {{x}}"}]}],
    }
    write_source(tmp_path, "broken", broken)

    assert main(["rules", "check", "--sources-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "broken.json: /rules/0/match/type: " in out
    assert "broken.json: /rules/0/events/0/event_name: " in out
    assert "good.json" not in out


def test_rules_try_prints_the_events(capsys, tmp_path):
    write_source(tmp_path, "good", GOOD)
    payload_file = payload_at(
        tmp_path, {"type": "invoice.paid", "data": {"amount": 5, "user": "u1"}}
    )

    assert main(["rules", "try", "--sources-dir", str(tmp_path), "good", str(payload_file)]) == 0
    out = capsys.readouterr().out
    assert "# rule paid, event 0" in out
    assert '"event_name": "invoice_paid"' in out


def test_rules_try_explains_why_nothing_matched(capsys, tmp_path):
    write_source(tmp_path, "good", GOOD)
    payload_file = payload_at(tmp_path, {"type": "invoice.paid", "data": {"amount": 0}})

    assert main(["rules", "try", "--sources-dir", str(tmp_path), "good", str(payload_file)]) == 0
    assert 'paid: data.amount is 0, wanted [{"numeric": [">", 0]}]' in capsys.readouterr().out


TOPIC_RULES = {
    **GOOD,
    "rules": [
        {
            "id": "t",
            "match": {"$headers.x-topic": ["a/b"]},
            "events": [{"event_name": "topic_seen", "user_id": "u"}],
        }
    ],
}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("X-Topic=a/b", '"event_name": "topic_seen"'),
        ("x-topic=c/d", 't: $headers.x-topic is "c/d", wanted ["a/b"]'),
    ],
    ids=["matched", "explained"],
)
def test_rules_try_uses_the_headers_given(capsys, tmp_path, header, expected):
    write_source(tmp_path, "good", TOPIC_RULES)
    payload_file = payload_at(tmp_path, {})

    argv = ["rules", "try", "--sources-dir", str(tmp_path), "good", str(payload_file)]
    assert main([*argv, "--header", header]) == 0
    assert expected in capsys.readouterr().out


def test_rules_events_lists_the_taxonomy_and_fails_on_free_text(capsys, tmp_path):
    write_source(tmp_path, "good", GOOD)
    assert main(["rules", "events", "--sources-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "good\tinvoice_paid"

    free = {
        **GOOD,
        "rules": [
            {
                "id": "f",
                "match": {},
                "events": [{"event_name": {"template": "ticket_{{subject}}"}, "user_id": "u"}],
            }
        ],
    }
    write_source(tmp_path, "free", free)
    assert main(["rules", "events", "--sources-dir", str(tmp_path)]) == 1
    assert "free.json: /rules/0/events/0/event_name: " in capsys.readouterr().out


BROKEN = ROOT / "tests" / "fixtures" / "rules_broken"


@pytest.mark.parametrize("broken", sorted(BROKEN.glob("*.json")), ids=lambda p: p.stem)
def test_rules_check_fails_with_the_pointed_message_for_each_broken_file(capsys, tmp_path, broken):
    (tmp_path / broken.name).write_text(broken.read_text())
    expected = (BROKEN / f"{broken.stem}.expected.txt").read_text().strip()

    assert main(["rules", "check", "--sources-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == expected
