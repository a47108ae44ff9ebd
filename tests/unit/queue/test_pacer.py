"""Pacer on an injected clock and sleep: calls are spaced 60 * workers / per_minute apart, a
slot beyond the budget is refused without waiting, a 429 pause delays the next slot, and no
60-second window ever holds more than this forwarder's share of the rate."""

from __future__ import annotations

import bisect
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_to_track.queue.pacer import Pacer, get_pacer

START = 1_000.0


class FakeClock:
    """A monotonic clock that only moves when slept on or advanced; records every sleep."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"slept a negative {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pacer(clock: FakeClock, per_minute: float = 480, workers: int = 2) -> Pacer:
    return Pacer(per_minute, workers, clock=clock, sleep=clock.sleep)


# --- spacing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_minute", "workers", "interval"),
    [(480, 2, 0.25), (600, 2, 0.2), (60, 1, 1.0), (600, 1000, 100.0), (1, 2, 120.0)],
)
def test_spacing_is_each_workers_share_of_the_rate(
    clock: FakeClock, per_minute: int, workers: int, interval: float
):
    assert pacer(clock, per_minute, workers).interval_s == pytest.approx(interval)


def test_first_call_goes_at_once(clock: FakeClock):
    assert pacer(clock).acquire(0.0)
    assert clock.sleeps == []


def test_next_call_waits_one_interval(clock: FakeClock):
    # Given a call just made
    p = pacer(clock)
    p.acquire(1.0)

    # When the next comes at once
    assert p.acquire(1.0)

    # Then it slept one interval
    assert clock.sleeps == [0.25]
    assert clock.now == START + 0.25


def test_calls_after_the_interval_do_not_wait(clock: FakeClock):
    p = pacer(clock)
    p.acquire(1.0)
    clock.advance(0.3)

    assert p.acquire(0.0)
    assert clock.sleeps == []


def test_idle_time_earns_no_burst(clock: FakeClock):
    # Given a pacer idle for a long time after a call
    p = pacer(clock)
    p.acquire(1.0)
    clock.advance(3600)

    # When two calls come back to back
    p.acquire(1.0)
    p.acquire(1.0)

    # Then the second still waits its interval
    assert clock.sleeps == [0.25]


# --- the budget -----------------------------------------------------------------------------------


def test_slot_beyond_the_budget_is_refused_without_sleeping(clock: FakeClock):
    p = pacer(clock)
    p.acquire(1.0)

    assert not p.acquire(0.1)
    assert clock.sleeps == []


def test_refused_acquire_does_not_take_the_slot(clock: FakeClock):
    # Given a refused acquire
    p = pacer(clock)
    p.acquire(1.0)
    p.acquire(0.1)

    # When the next acquire can wait long enough
    assert p.acquire(1.0)

    # Then it gets the very next slot, not one after it
    assert clock.sleeps == [0.25]


def test_slot_exactly_at_the_budget_is_taken(clock: FakeClock):
    p = pacer(clock)
    p.acquire(1.0)

    assert p.acquire(0.25)
    assert clock.sleeps == [0.25]


def test_negative_budget_refuses_even_a_free_slot(clock: FakeClock):
    # No time left in the invocation: not even a call that needs no wait is started
    p = pacer(clock)

    assert not p.acquire(-0.5)
    assert clock.sleeps == []
    assert p.acquire(0.0)  # and the refused acquire took nothing


# --- pause (after a 429) --------------------------------------------------------------------------


def test_pause_delays_the_next_slot(clock: FakeClock):
    # Given a pacer that just made a call
    p = pacer(clock)
    p.acquire(1.0)

    # When Userpilot says wait 5 s
    p.pause(5.0)

    # Then the next call goes 5 s from now, and the one after an interval later
    assert p.acquire(10.0)
    assert p.acquire(10.0)
    assert clock.sleeps == [5.0, 0.25]


def test_pause_longer_than_the_budget_refuses_without_sleeping(clock: FakeClock):
    p = pacer(clock)
    p.pause(5.0)

    assert not p.acquire(4.9)
    assert clock.sleeps == []


def test_paused_for_counts_down_to_zero(clock: FakeClock):
    p = pacer(clock)
    assert p.paused_for() == 0.0

    p.pause(5.0)
    assert p.paused_for() == 5.0
    clock.advance(2.0)
    assert p.paused_for() == 3.0
    clock.advance(4.0)
    assert p.paused_for() == 0.0


def test_a_shorter_pause_does_not_shorten_a_longer_one(clock: FakeClock):
    p = pacer(clock)
    p.pause(10.0)

    p.pause(2.0)

    assert p.paused_for() == 10.0


# --- construction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("per_minute", "workers"), [(0, 2), (-1, 2), (480, 0), (480, -1)])
def test_nonsense_rates_are_refused(per_minute: float, workers: int):
    with pytest.raises(ValueError, match="per_minute must be positive"):
        Pacer(per_minute, workers)


def test_one_pacer_per_container_and_rate():
    assert get_pacer(480, 2) is get_pacer(480, 2)
    assert get_pacer(480, 2) is not get_pacer(480, 3)


# --- the property: no window of 60 s holds more than this forwarder's share -----------------------


def most_in_any_minute(times: list[float]) -> int:
    """The most calls in any closed window [t, t + 60] (the densest window starts at a call)."""
    return max(
        (bisect.bisect_right(times, start + 60.0) - i for i, start in enumerate(times)), default=0
    )


step = st.one_of(
    st.tuples(st.just("acquire"), st.floats(min_value=-1.0, max_value=60.0)),
    st.tuples(st.just("idle"), st.floats(min_value=0.0, max_value=30.0)),
    st.tuples(st.just("pause"), st.floats(min_value=0.0, max_value=120.0)),
)


@settings(max_examples=300, deadline=None)
@given(
    per_minute=st.integers(min_value=1, max_value=600),
    workers=st.integers(min_value=1, max_value=20),
    steps=st.lists(step, max_size=250),
)
def test_no_minute_ever_holds_more_than_per_minute_over_workers(
    per_minute: int, workers: int, steps: list[tuple[str, float]]
):
    # Given a pacer on a fake clock, driven by any sequence of acquires, idle time and pauses
    clock = FakeClock()
    p = pacer(clock, per_minute, workers)
    calls: list[float] = []

    # When each acquire that is granted makes its call at the moment it returns
    for action, value in steps:
        if action == "acquire":
            slept = len(clock.sleeps)
            before = clock.now
            if p.acquire(value):
                calls.append(clock.now)
                assert clock.now - before <= max(value, 0.0) + 1e-9  # never past its budget
            else:
                assert len(clock.sleeps) == slept  # refused without sleeping
        elif action == "idle":
            clock.advance(value)
        else:
            p.pause(value)

    # Then consecutive calls are at least one interval apart...
    interval = 60.0 * workers / per_minute
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(gap >= interval - 1e-9 for gap in gaps)
    # ...so a closed 60 s window holds at most per_minute / workers calls, plus one when calls
    # sit on both of its edges (calls at 0, 0.25 ... 60.0 are 241 for 240 a minute)
    assert most_in_any_minute(calls) <= per_minute / workers + 1
