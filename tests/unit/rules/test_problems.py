"""Problem lines: a JSON pointer always, and the rule's id when the place is inside a rule."""

from __future__ import annotations

import pytest

from webhook_to_track.rules import compile_ruleset
from webhook_to_track.rules.problems import Problems

EVENT = {"event_name": "e", "user_id": "u"}


def rule(**overrides: object) -> dict[str, object]:
    return {"id": "invoice-paid", "match": {}, "events": [EVENT], **overrides}


def compiled(*rules: object) -> Problems:
    problems = Problems("stripe.json")
    compile_ruleset({"rules": list(rules)}, problems)
    return problems


def test_a_problem_inside_a_rule_names_the_rule_and_keeps_the_pointer():
    problems = compiled(rule(), rule(id="refund", match={"type": "x"}))

    assert problems.items == [
        'stripe.json: rule "refund" (/rules/1/match/type): expected a non-empty list of'
        " alternatives (OR); wrap a single value in [ ]"
    ]
    assert problems.pointers == ["/rules/1/match/type"]


def test_the_rule_itself_is_named_too():
    problems = compiled(rule(events=[]))

    assert problems.items[0].startswith('stripe.json: rule "invoice-paid" (/rules/0/events): ')


@pytest.mark.parametrize(
    "rule_id", [None, 7, "", "x" * 201], ids=["absent", "number", "empty", "too-long"]
)
def test_a_rule_without_a_usable_id_is_named_by_its_index(rule_id):
    spec = rule(id=rule_id) if rule_id is not None else {"match": {}, "events": [EVENT]}

    problems = compiled(spec)

    assert problems.items[0].startswith("stripe.json: /rules/0/id: id must be a string")


def test_an_id_with_quotes_is_escaped():
    problems = compiled(rule(id='say "hi"', match={"type": "x"}))

    assert problems.items[0].startswith('stripe.json: rule "say \\"hi\\"" (/rules/0/match/type)')


def test_places_outside_every_rule_keep_their_bare_pointer():
    problems = Problems("stripe.json")

    compile_ruleset({"defaults": {"user": "x"}, "rules": [rule()]}, problems)

    assert problems.items == [
        "stripe.json: /defaults/user: unknown key 'user' (did you mean 'user_id'?)"
    ]


def test_a_label_covers_its_place_and_what_is_inside_only():
    problems = Problems("f.json")
    problems.label("/rules/1", 'rule "b"')

    problems.add("/rules/1", "m1")
    problems.add("/rules/10/x", "m2")
    problems.add("", "m3")

    assert problems.items == [
        'f.json: rule "b" (/rules/1): m1',
        "f.json: /rules/10/x: m2",
        "f.json: /: m3",
    ]
    assert problems.messages == ["m1", "m2", "m3"]
