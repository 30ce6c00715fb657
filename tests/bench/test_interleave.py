"""bench/interleave.py: the A B B A schedule, windows, per-pair ratios and a round's summary, on hand-built samples."""
from __future__ import annotations

import pytest

from bench.interleave import Sample, Window, pair_ratios, pooled, schedule, spread, summarize


def win(side: str, cpu: float, requests: int, t0: float = 0.0, wall: float = 2.0, failures: int = 0) -> Window:
    """A window whose process spent `cpu` seconds on `requests` requests (counters start at arbitrary values)."""
    return Window(side, Sample(t0, 10.0, 1000, 3), Sample(t0 + wall, 10.0 + cpu, 1000 + requests, 3 + failures))


def test_schedule_alternates_which_side_opens_each_pair() -> None:
    assert schedule(4, "a", "b") == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert schedule(1, "b", "a") == ["b", "a"]
    with pytest.raises(ValueError):
        schedule(0, "a", "b")


def test_a_window_is_the_difference_of_its_two_samples() -> None:
    w = win("bare", cpu=0.5, requests=2000, t0=7.0, wall=2.5, failures=1)
    assert (w.wall, w.cpu, w.requests, w.failures) == (2.5, 0.5, 2000, 1)
    assert w.cpu_per_request == pytest.approx(0.5 / 2000)


def test_a_window_without_requests_is_an_error_naming_the_fix() -> None:
    with pytest.raises(ValueError, match="--slice"):
        win("diner", cpu=0.5, requests=0).cpu_per_request


def test_pair_ratios_put_the_same_side_on_top_whichever_ran_first() -> None:
    windows = [win("bare", 1.0, 4000), win("diner", 1.1, 4000),     # diner 10% dearer
               win("diner", 0.6, 2000), win("bare", 0.5, 2000)]     # diner 20% dearer, diner first
    assert pair_ratios(windows, "diner", "bare") == [pytest.approx(1.1), pytest.approx(1.2)]
    assert pair_ratios(windows, "bare", "diner") == [pytest.approx(1 / 1.1), pytest.approx(1 / 1.2)]


def test_a_drift_between_pairs_cancels_in_the_ratios() -> None:
    """The machine slows by half between the pairs: both sides' CPU per request moves, each pair's ratio does not."""
    fast = [win("bare", 1.0, 4000), win("diner", 1.08, 4000)]
    slow = [win("diner", 1.62, 4000), win("bare", 1.5, 4000)]
    assert pair_ratios(fast + slow, "diner", "bare") == [pytest.approx(1.08), pytest.approx(1.08)]


def test_pairs_must_hold_one_window_of_each_side() -> None:
    with pytest.raises(ValueError, match="one diner and one bare"):
        pair_ratios([win("bare", 1.0, 10), win("bare", 1.0, 10)], "diner", "bare")
    with pytest.raises(ValueError, match="pairs"):
        pair_ratios([win("bare", 1.0, 10)], "diner", "bare")


def test_a_round_is_the_median_of_its_pairs_so_one_disturbed_window_does_not_move_it() -> None:
    windows = [win("bare", 1.0, 4000), win("diner", 1.05, 4000),
               win("diner", 1.06, 4000), win("bare", 1.0, 4000),
               win("bare", 0.5, 4000), win("diner", 1.07, 4000)]   # bare's window half its cost: an outlier
    r = summarize(windows, "diner", "bare")
    assert r.ratios == (pytest.approx(1.05), pytest.approx(1.06), pytest.approx(2.14))
    assert r.overhead == pytest.approx(0.06)
    assert r.pooled_overhead == pytest.approx(3.18 / 2.5 - 1)      # the pooled figure does move
    assert (r.num.side, r.num.windows, r.num.requests) == ("diner", 3, 12000)
    assert r.den.us_per_request == pytest.approx(1e6 * 2.5 / 12000)


def test_pooled_adds_up_one_sides_windows_only() -> None:
    p = pooled([win("bare", 1.0, 100, wall=2.0, failures=2), win("diner", 9.0, 9), win("bare", 0.5, 50, wall=1.0)],
               "bare")
    assert (p.windows, p.wall, p.cpu, p.requests, p.failures) == (2, 3.0, 1.5, 150, 2)


def test_spread_is_max_minus_min() -> None:
    assert spread([0.05, 0.09, 0.062]) == pytest.approx(0.04)
    assert spread([0.07]) == 0.0


def test_a_round_over_two_process_pairs_is_the_median_of_all_their_pairs() -> None:
    """--procs 2: each process pair's windows follow its own schedule; the round pools their pairs. A process pair
    whose diner drew a dear layout (+12%) and one whose drew a cheap one (+4%) meet in the middle."""
    dear = [win(s, 1.12 if s == "diner" else 1.0, 4000) for s in schedule(2, "bare", "diner")]
    cheap = [win(s, 1.04 if s == "diner" else 1.0, 4000) for s in schedule(2, "diner", "bare")]
    r = summarize(dear + cheap, "diner", "bare")
    assert r.ratios == (pytest.approx(1.12),) * 2 + (pytest.approx(1.04),) * 2
    assert r.overhead == pytest.approx(0.08)
