"""The webhook-to-track command, run in-process as a user would from the repository root.

Tests that need a real sender run in a copy of the project holding only the tests' own senders
(tests/vehicle: stripe, github, hubspot), so they do not change when the shipped source files,
samples or local secrets are edited, added or removed.
"""

from __future__ import annotations

import json
import shlex
import time

import pytest

from tests.factories import (
    ROOT,
    VEHICLE_PAYLOADS,
    VEHICLE_SECRETS,
    payload,
)
from webhook_to_track.cli import BAD_SIGNATURE_EVENT, main
from webhook_to_track.local.secrets import load_local_secrets
from webhook_to_track.registry import load_registry
from webhook_to_track.signatures import StripeVerifier

EVENTS = ROOT / "events"
VEHICLE_STRIPE_CASES = sorted(p.stem for p in (VEHICLE_PAYLOADS / "stripe").glob("*.json"))


@pytest.fixture(autouse=True)
def in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SOURCES_DIR", raising=False)


def local_secret() -> str:
    return load_local_secrets(VEHICLE_SECRETS).for_source("stripe")[0]


def test_invoke_fresh_sample_prints_202_and_the_userpilot_requests(capsys, vehicle):
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


@pytest.mark.parametrize("case", VEHICLE_STRIPE_CASES)
def test_every_sample_event_is_accepted_when_fresh(capsys, vehicle, case):
    assert main(["invoke", "--fresh", f"events/stripe/{case}.json"]) == 0
    assert capsys.readouterr().out.startswith("Lambda response: 202")


def test_bad_signature_sample_is_401(capsys, vehicle):
    assert main(["invoke", f"events/stripe/{BAD_SIGNATURE_EVENT}"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Lambda response: 401")
    assert '"code": "signature_mismatch"' in out


def test_stale_sample_without_fresh_is_401(capsys, tmp_path, vehicle):
    event = json.loads((vehicle / "events" / "stripe" / "invoice.paid.json").read_text())
    stale = int(time.time()) - 3600
    event["headers"].update(
        StripeVerifier.sign(payload("stripe", "invoice.paid"), local_secret(), stale)
    )
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(event))

    # env.json lifts the limit for local runs (LOCAL_SIGNATURE_TOLERANCE_SECONDS=off): unset it.
    assert main(["invoke", str(path), "--env", "LOCAL_SIGNATURE_TOLERANCE_SECONDS="]) == 1
    captured = capsys.readouterr()
    assert '"code": "timestamp_out_of_tolerance"' in captured.out
    assert (
        "hint: This sample was signed 60 min ago; the tolerance of stripe is 300 s" in captured.err
    )
    assert "--fresh" in captured.err


def test_a_stale_sample_passes_with_env_jsons_local_tolerance_override(capsys, tmp_path, vehicle):
    event = json.loads((vehicle / "events" / "stripe" / "invoice.paid.json").read_text())
    stale = int(time.time()) - 3600
    event["headers"].update(
        StripeVerifier.sign(payload("stripe", "invoice.paid"), local_secret(), stale)
    )
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(event))

    assert main(["invoke", str(path)]) == 0
    assert "hint:" not in capsys.readouterr().err


def test_sign_prints_an_event_the_handler_accepts(capsys, tmp_path, vehicle):
    assert main(["sign", "stripe", "events/payloads/stripe/checkout.session.completed.json"]) == 0
    event_file = tmp_path / "event.json"
    event_file.write_text(capsys.readouterr().out)

    event = json.loads(event_file.read_text())
    assert event["headers"]["stripe-signature"].startswith("t=")
    assert event["body"].encode() == payload("stripe", "checkout.session.completed")
    assert main(["invoke", str(event_file)]) == 0
    assert '"event_name": "checkout_subscription_completed"' in capsys.readouterr().out


def test_sign_with_an_explicit_secret_and_timestamp_as_curl(capsys, vehicle):
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
    assert words[:6] == ["curl", "-sS", "-i", "-X", "POST", "https://x.test/webhooks/stripe"]
    assert f"stripe-signature: {expected['stripe-signature']}" in words
    assert words[-1] == "@events/payloads/stripe/invoice.paid.json"


@pytest.mark.parametrize("source", ["stripe", "hubspot"])  # hubspot signs the URL it is sent to
def test_sign_as_curl_posts_to_the_local_serve_url_by_default(capsys, vehicle, source):
    sample = sorted((vehicle / "events" / "payloads" / source).glob("*.json"))[0]

    assert main(["sign", source, str(sample), "--format", "curl"]) == 0

    words = shlex.split(capsys.readouterr().out)
    assert words[5] == f"http://127.0.0.1:3000/webhooks/{source}"


def test_events_refreshes_every_sample_plus_a_bad_signature(capsys, tmp_path, vehicle):
    (tmp_path / "payloads").symlink_to(VEHICLE_PAYLOADS)

    assert main(["events", "--events-dir", str(tmp_path)]) == 0

    written = sorted(p.name for p in (tmp_path / "stripe").glob("*.json"))
    samples = sorted(p.name for p in (VEHICLE_PAYLOADS / "stripe").glob("*.json"))
    assert written == sorted([*samples, "bad-signature.json"])
    assert "valid for 300 s for hubspot, up to 300 s for the others" in capsys.readouterr().out
    event = json.loads((tmp_path / "stripe" / "invoice.paid.json").read_text())
    StripeVerifier([local_secret()]).verify(event["body"].encode(), event["headers"])


@pytest.mark.parametrize("source", sorted(load_registry().sources))
def test_committed_events_are_http_api_shaped(source):
    for path in (EVENTS / source).glob("*.json"):
        event = json.loads(path.read_text())
        assert event["version"] == "2.0"
        assert event["routeKey"] == "POST /webhooks/{source}"
        assert event["pathParameters"] == {"source": source}
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
def test_bad_input_is_a_clear_error_not_a_traceback(capsys, vehicle, argv, message):
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
    *warnings, summary = capsys.readouterr().out.splitlines()
    assert summary.startswith("ok: ")
    assert all(": warning: " in line for line in warnings)


def checked_against_samples(tmp_path, metadata, payloads, fixtures=()):
    """``rules check`` of one source (GOOD with these metadata) and these sample payloads
    under events/payloads/good/ and fixtures/good/*.input.json; its exit code."""
    sources, events, fixture_dir = tmp_path / "sources", tmp_path / "events", tmp_path / "fx"
    for directory in (sources, events / "payloads" / "good", fixture_dir / "good"):
        directory.mkdir(parents=True)
    event = {**GOOD["rules"][0]["events"][0], "metadata": metadata}
    write_source(sources, "good", {**GOOD, "rules": [{**GOOD["rules"][0], "events": [event]}]})
    for i, document in enumerate(payloads):
        (events / "payloads" / "good" / f"case{i}.json").write_text(json.dumps(document))
    for i, document in enumerate(fixtures):
        (fixture_dir / "good" / f"extra{i}.input.json").write_text(json.dumps(document))
    argv = ["rules", "check", "--sources-dir", str(sources), "--events-dir", str(events)]
    return main([*argv, "--fixtures-dir", str(fixture_dir)])


PAID_SAMPLE = {"type": "invoice.paid", "data": {"amount": 5, "user": "u1"}}


def test_rules_check_warns_about_a_path_no_sample_has_and_still_passes(capsys, tmp_path):
    metadata = {"amount": {"path": "data.amont"}}

    assert checked_against_samples(tmp_path, metadata, [PAID_SAMPLE]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "good.json: rule \"paid\" (/rules/0/events/0/metadata/amount): warning: 'data.amont' has"
        " no value in the 1 sample this rule maps (did you mean 'data.amount'?)",
        "ok: 1 source files, 1 rules, 1 warning(s)",
    ]


def test_rules_check_reads_the_fixture_inputs_as_samples_too(capsys, tmp_path):
    fixture = {"type": "invoice.paid", "data": {"amount": 5, "amont": 1}}

    metadata = {"a": {"path": "data.amont"}}

    assert checked_against_samples(tmp_path, metadata, [PAID_SAMPLE], [fixture]) == 0
    assert capsys.readouterr().out.splitlines() == ["ok: 1 source files, 1 rules"]


def test_rules_check_lists_every_problem_with_its_pointer(capsys, tmp_path):
    write_source(tmp_path, "good", GOOD)
    broken = {
        **GOOD,
        "rules": [{"id": "x", "match": {"type": "a"}, "events": [{"event_name": "e {{x}}"}]}],
    }
    write_source(tmp_path, "broken", broken)

    assert main(["rules", "check", "--sources-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert 'broken.json: rule "x" (/rules/0/match/type): ' in out
    assert 'broken.json: rule "x" (/rules/0/events/0/event_name): ' in out
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
    assert 'free.json: rule "f" (/rules/0/events/0/event_name): ' in capsys.readouterr().out


BROKEN = ROOT / "tests" / "fixtures" / "rules_broken"


@pytest.mark.parametrize("broken", sorted(BROKEN.glob("*.json")), ids=lambda p: p.stem)
def test_rules_check_fails_with_the_pointed_message_for_each_broken_file(capsys, tmp_path, broken):
    (tmp_path / broken.name).write_text(broken.read_text())
    expected = (BROKEN / f"{broken.stem}.expected.txt").read_text().strip()

    assert main(["rules", "check", "--sources-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == expected
