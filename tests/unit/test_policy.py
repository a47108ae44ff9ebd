"""ForwardPolicy and Deadline: retries include POST, waits are capped, time is bounded."""

from __future__ import annotations

from tests.factories import TEMPLATE
from webhook_to_track.local.template import function_timeout, load_template
from webhook_to_track.policy import Deadline, ForwardPolicy


def test_retry_includes_post_and_does_not_raise_on_status():
    retry = ForwardPolicy().to_retry()

    assert retry.allowed_methods is None
    assert retry.is_retry("POST", 503)
    assert retry.is_retry("POST", 429)
    assert not retry.is_retry("POST", 400)
    assert retry.raise_on_status is False


def test_retry_after_is_capped():
    retry = ForwardPolicy(retry_after_max=2).to_retry()

    assert retry.parse_retry_after("3600") == 2
    assert retry.parse_retry_after("1") == 1


def test_timeouts_are_clipped_to_what_is_left():
    policy = ForwardPolicy(connect_timeout=1.0, read_timeout=3.0)

    assert (policy.to_timeout(10).connect_timeout, policy.to_timeout(10).read_timeout) == (1.0, 3.0)
    assert (policy.to_timeout(0.4).connect_timeout, policy.to_timeout(0.4).read_timeout) == (
        0.4,
        0.4,
    )
    assert policy.to_timeout(-1).read_timeout > 0


def test_budget_keeps_a_reserve_from_the_lambdas_remaining_time():
    policy = ForwardPolicy(budget_s=5.0, reserve_s=1.0)

    assert policy.budget(None) == 5.0
    assert policy.budget(10_000) == 5.0
    assert policy.budget(3_000) == 2.0
    assert policy.budget(500) == 0.0


def test_default_budget_fits_the_template_timeout():
    timeout = function_timeout(load_template(TEMPLATE))
    policy = ForwardPolicy()

    assert policy.budget_s + policy.reserve_s < timeout
    # Unclipped, the worst case would overrun: that is why the deadline clips every attempt.
    assert policy.worst_case_s() > policy.budget_s


def test_policy_is_immutable_and_shareable():
    policy = ForwardPolicy()

    assert hash(policy) == hash(ForwardPolicy())


def test_deadline_counts_down_on_an_injected_clock():
    now = [100.0]
    deadline = Deadline.after(5.0, clock=lambda: now[0])

    assert deadline.remaining() == 5.0
    now[0] = 104.5
    assert deadline.remaining() == 0.5
